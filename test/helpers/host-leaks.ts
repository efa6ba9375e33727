// Host-state checks for tests that drive adapters in-process (the conformance suites): live
// processes, the shims of an exec root, mounts and cgroups a test left behind.
import { readFileSync, readlinkSync } from 'node:fs';
import { mountsUnder, unmountRecursive } from '../../src/sys/mountinfo.ts';
import { shimsOf } from './daemon.ts';

/** Running (a zombie waiting to be reaped counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The shim whose working directory is `bundle` (a shim works in its task's bundle). */
export function shimOfBundle(execRoot: string, bundle: string): number | undefined {
  return shimsOf(execRoot).find((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === bundle;
    } catch {
      return false;
    }
  });
}

/** Resolves once `pid` is gone; fails after `ms`. */
export async function processGone(pid: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > end) throw new Error(`process ${pid} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Kills the shims of an exec root and undoes mounts under `root`; returns what it found
 * (each one a leak of the test that made them).
 */
export function sweepLeaks(root: string, execRoot: string): string[] {
  const leaks: string[] = [];
  for (const pid of shimsOf(execRoot)) {
    leaks.push(`shim ${pid}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const mounts = mountsUnder(root);
  if (mounts.length) {
    leaks.push(...mounts.map((m) => `mount ${m.mountPoint}`));
    unmountRecursive(root);
  }
  return leaks;
}
