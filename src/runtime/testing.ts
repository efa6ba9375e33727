// Test helpers for runtime tests that run real shims and runc (root only).
import { mkdirSync, copyFileSync, symlinkSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../sys/exec.ts';
import { createLogger, silentLogger } from '../common/logger.ts';
import type { Logger } from '../common/logger.ts';
import type { ShimConfig } from './shim.ts';

export const SHIM_BINARY = '/usr/bin/containerd-shim-runc-v2';
export const RUNC_BINARY = '/usr/sbin/runc';
export const BUSYBOX = '/bin/busybox';

/** Why root-only tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const b of [SHIM_BINARY, RUNC_BINARY, BUSYBOX]) if (!existsSync(b)) return `needs ${b}`;
  return undefined;
}

/** A rootfs with a static busybox and one symlink per applet (busybox --install -s). */
export async function makeBusyboxRootfs(dir: string): Promise<string> {
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  const list = (await run(BUSYBOX, ['--list'])).stdout
    .toString()
    .split('\n')
    .filter((s) => s && s !== 'busybox');
  for (const applet of list) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

export interface TestEnv {
  root: string;
  execRoot: string;
  runcRoot: string;
  tasksDir: string;
  shimConfig: ShimConfig;
  cleanup(): void;
}

export function testLogger(): Logger {
  return process.env.BERTH_TEST_DEBUG ? createLogger('debug') : silentLogger;
}

export function makeTestEnv(root: string): TestEnv {
  const execRoot = join(root, 'run');
  const tasksDir = join(execRoot, 'tasks');
  const runcRoot = join(execRoot, 'runc');
  mkdirSync(tasksDir, { recursive: true });
  return {
    root,
    execRoot,
    runcRoot,
    tasksDir,
    shimConfig: {
      shimBinary: SHIM_BINARY,
      namespace: 'berth-test',
      address: join(execRoot, 'berthd.sock'),
      ttrpcAddress: join(execRoot, 'events.sock'),
      publishBinary: '/bin/true',
      log: testLogger(),
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
