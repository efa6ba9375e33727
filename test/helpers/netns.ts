// A network namespace a test makes for itself (a whole host as far as netfilter goes) and a
// real dockerd (Debian's docker.io) run inside it on its own roots, so its FORWARD DROP
// policy and chains never reach the host or other tests.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountsUnder } from './daemon.ts';

export const DOCKERD = '/usr/sbin/dockerd';
export const hasDockerd = () => existsSync(DOCKERD);

/** Makes `/run/netns/<prefix>-<hex>` with loopback up; returns its name. */
export function makeNetns(prefix: string): string {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  execFileSync('/usr/sbin/ip', ['netns', 'add', name]);
  execFileSync('/usr/sbin/ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export function deleteNetns(name: string): void {
  try {
    execFileSync('/usr/sbin/ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
}

/** Runs a command inside the namespace (network namespace only); returns stdout. */
export function inNetns(ns: string, cmd: string, args: string[], input?: string): string {
  return execFileSync('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString();
}

export interface Dockerd {
  root: string;
  socket: string;
  proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts dockerd in `ns` with its own data root, exec root, socket and pidfile, and waits
 * for its API. vfs storage: no image runs here, only its firewall set-up matters.
 */
export async function startDockerd(ns: string, root?: string): Promise<Dockerd> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'berth-dockerd-')));
  const socket = join(dir, 'docker.sock');
  let out = '';
  const proc = spawn(
    'nsenter',
    [
      `--net=/run/netns/${ns}`,
      '--',
      DOCKERD,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${socket}`,
      '--storage-driver',
      'vfs',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const d: Dockerd = {
    root: dir,
    socket,
    proc,
    logs: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      for (const m of mountsUnder(dir).reverse()) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          /* gone */
        }
      }
    },
  };
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`dockerd exited (${proc.exitCode}):\n${out.slice(-3000)}`);
    try {
      const v = execFileSync('docker', ['-H', `unix://${socket}`, 'version', '-f', '{{.Server.Version}}'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'cli') },
      });
      if (v.toString().trim()) break;
    } catch {
      /* not up yet */
    }
    if (performance.now() > deadline) throw new Error(`dockerd did not come up:\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return d;
}

export async function removeDockerdRoot(d: Dockerd): Promise<void> {
  await rm(d.root, { recursive: true, force: true }).catch(() => {});
}
