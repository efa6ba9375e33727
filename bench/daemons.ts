// The daemons the bench compares: a berthd and a real dockerd (with its own containerd), each
// on its own roots and sockets under one temporary directory, apart from any system instance.
// Everything they leave (processes, mounts, cgroups, directories) is swept at the end; the
// state file lets scripts/bench's trap do the same if this process dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, openSync, closeSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request, requestJson } from './http.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Notes what must be cleaned up, for scripts/bench's trap (BENCH_STATE) if we die hard. */
export function noteState(line: string): void {
  const f = process.env.BENCH_STATE;
  if (f) appendFileSync(f, line + '\n');
}

// ---------------------------------------------------------------- processes and /proc

export function readStatus(pid: number): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssKiB: num('VmRSS'), hwmKiB: num('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Pids (other than ours) whose command line mentions `needle`. */
export function pidsReferencing(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (cmd.includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function unescapeMount(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mountsUnder(prefix: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m)
    .map(unescapeMount)
    .filter((m) => m === prefix || m.startsWith(prefix + '/'));
}

const CGROUP_FS = '/sys/fs/cgroup';

/** Pids in `parent` (a cgroup path like /berth-bench-x) or below, in any v1 hierarchy or v2. */
function cgroupPids(parent: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch {
      /* none */
    }
  };
  for (const dir of cgroupDirs(parent)) walk(dir);
  return [...pids];
}

function cgroupDirs(parent: string): string[] {
  const dirs: string[] = [];
  if (!existsSync(CGROUP_FS)) return dirs;
  if (existsSync(join(CGROUP_FS, 'cgroup.controllers'))) dirs.push(join(CGROUP_FS, parent));
  else for (const h of readdirSync(CGROUP_FS)) dirs.push(join(CGROUP_FS, h, parent));
  return dirs.filter((d) => existsSync(d));
}

/** Removes the (empty) cgroup directories below and at `parent`, deepest first. */
function removeCgroups(parent: string): void {
  const rmTree = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) rmTree(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      /* busy or gone */
    }
  };
  for (const d of cgroupDirs(parent)) rmTree(d);
}

/**
 * Last-resort sweep of everything under `root`: processes of the given cgroup parents
 * (container processes), processes whose command line names `root` (daemons, shims),
 * mounts below `root`, the cgroups, then the directory. Kills only those pids, by pid.
 */
export async function sweep(root: string, cgroupParents: readonly string[]): Promise<string[]> {
  const notes: string[] = [];
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = [...new Set([...cgroupParents.flatMap(cgroupPids), ...pidsReferencing(root)])];
    if (!pids.length) break;
    if (sig === 'SIGKILL') notes.push(`killed ${pids.length} leftover process(es) with SIGKILL`);
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && pids.some(alive)) await sleep(50);
  }
  const mounts = mountsUnder(root).reverse();
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  for (const c of cgroupParents) removeCgroups(c);
  await rm(root, { recursive: true, force: true }).catch((e: Error) => notes.push(`rm ${root}: ${e.message}`));
  return notes;
}

// ---------------------------------------------------------------- command runner

export interface CmdResult {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, timing from spawn to exit; never throws on a non-zero status. */
export function runCmd(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<CmdResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let t1 = 0;
    let stdout = '';
    let stderr = '';
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: -1, ms: NaN, stdout, stderr: (e as Error).message });
      return;
    }
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', () => {
      t1 = performance.now();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, ms: NaN, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), ms: (t1 || performance.now()) - t0, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- daemons

/** Removes a bench daemon's bridge and (berthd's) nftables table. */
export function removeBridge(bridge: string, table?: string): void {
  try {
    execFileSync('/usr/sbin/ip', ['link', 'del', bridge], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
  // berthd's tables: ip, ip6 and bridge families under one name.
  for (const family of table ? ['ip', 'ip6', 'bridge'] : []) {
    try {
      execFileSync('/usr/sbin/nft', ['delete', 'table', family, table!], { stdio: 'ignore' });
    } catch {
      /* none */
    }
  }
}

export interface Daemon {
  readonly name: string;
  /** Directory holding all of this daemon's state (roots, sockets, logs). */
  readonly dir: string;
  readonly socket: string;
  readonly host: string;
  readonly cgroupParent: string;
  /** The daemon's own pid (berthd; dockerd). */
  readonly pid: number;
  /** Helper daemons counted with it for memory (dockerd's containerd). */
  readonly helperPids: number[];
  /** API version to use in paths (min of ours and the server's). */
  apiVersion: string;
  stop(): Promise<string[]>;
  logTail(): string;
}

function spawnDaemon(cmd: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  // Own session: a Ctrl-C at the terminal reaches the bench, which then cleans up in order.
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.on('error', () => {});
  return child;
}

async function waitUntil(
  what: string,
  ok: () => Promise<boolean>,
  child: ChildProcess,
  timeoutMs: number,
  log: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode}):\n${tail(log)}`);
    if (await ok().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms:\n${tail(log)}`);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function negotiate(socket: string): Promise<string> {
  const r = await request(socket, 'HEAD', '/_ping', { timeoutMs: 2000 });
  const server = r.headers['api-version'] ?? '1.41';
  const [a, b] = [server, '1.47'].map((v) => v.split('.').map(Number)) as [number[], number[]];
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? server : '1.47';
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return true;
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(5000)]);
  return false;
}

/** Removes every container (force), concurrently; returns how many there were. */
export async function removeAllContainers(d: Daemon): Promise<number> {
  const list = await requestJson<{ Id: string }[]>(d.socket, 'GET', `/v${d.apiVersion}/containers/json?all=1`, {
    timeoutMs: 30_000,
  });
  await Promise.all(
    list.map((c) =>
      request(d.socket, 'DELETE', `/v${d.apiVersion}/containers/${c.Id}?force=1`, {
        timeoutMs: 60_000,
        ok: (s) => s < 300 || s === 404,
      }).catch(() => {}),
    ),
  );
  return list.length;
}

export async function startBerthd(repoRoot: string, root: string, tag: string): Promise<Daemon> {
  const dir = join(root, 'berthd');
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'berth.sock');
  const log = join(dir, 'berthd.log');
  const config = join(dir, 'daemon.json');
  const cgroupParent = `/berth-bench-${tag}`;
  noteState(`cgroup ${cgroupParent}`);
  // A default bridge and pool of its own (removed at stop), apart from the host's.
  const bridge = `bb${tag.slice(0, 8)}`;
  await writeFile(
    config,
    JSON.stringify({ bridge, 'default-address-pools': [{ base: '10.251.0.0/16', size: 24 }] }) + '\n',
  );
  const child = spawnDaemon(
    join(repoRoot, 'bin', 'berthd'),
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '-H',
      `unix://${socket}`,
      '--config-file',
      config,
      '--pidfile',
      join(dir, 'berthd.pid'),
      '--cgroup-parent',
      cgroupParent,
      '--log-level',
      'warn',
    ],
    log,
  );
  await waitUntil(
    'berthd',
    async () => (await request(socket, 'HEAD', '/_ping', { timeoutMs: 1000 })).status === 200,
    child,
    30_000,
    log,
  );
  const d: Daemon = {
    name: 'berthd',
    dir,
    socket,
    host: `unix://${socket}`,
    cgroupParent,
    pid: child.pid!,
    helperPids: [],
    apiVersion: await negotiate(socket),
    logTail: () => tail(log),
    async stop() {
      const notes: string[] = [];
      if (child.exitCode === null && child.signalCode === null) {
        const n = await removeAllContainers(d).catch((e: Error) => {
          notes.push(`berthd: listing containers failed: ${e.message}`);
          return 0;
        });
        if (n) notes.push(`berthd: removed ${n} leftover container(s)`);
      }
      if (!(await stopChild(child, 15_000))) notes.push('berthd did not stop on SIGTERM within 15 s (killed)');
      removeBridge(bridge, `berth-${bridge}`);
      return notes;
    },
  };
  return d;
}

/** A real dockerd with its own containerd, no bridge, no iptables, everything under `root`. */
export async function startDockerd(root: string, tag: string): Promise<Daemon> {
  const dir = join(root, 'dockerd');
  await mkdir(dir, { recursive: true });
  const ctrSock = join(dir, 'containerd.sock');
  const ctrConfig = join(dir, 'containerd.toml');
  const ctrLog = join(dir, 'containerd.log');
  await writeFile(
    ctrConfig,
    [
      'version = 2',
      `root = "${join(dir, 'containerd-root')}"`,
      `state = "${join(dir, 'containerd-state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${ctrSock}"`,
      '[ttrpc]',
      `  address = "${ctrSock}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(dir, 'containerd-opt')}"`,
      '',
    ].join('\n'),
  );
  const containerd = spawnDaemon('containerd', ['--config', ctrConfig, '--log-level', 'warn'], ctrLog);
  try {
    await waitUntil('containerd', async () => existsSync(ctrSock), containerd, 30_000, ctrLog);
  } catch (e) {
    await stopChild(containerd, 5000);
    throw e;
  }

  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const config = join(dir, 'daemon.json');
  const cgroupParent = `/docker-bench-${tag}`;
  noteState(`cgroup ${cgroupParent}`);
  // dockerd 20.10 writes its trust key to /etc/docker/key.json unless told otherwise.
  await writeFile(config, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }) + '\n');
  const runDockerExisted = existsSync('/run/docker');
  if (!runDockerExisted) noteState('rundocker');
  // A bridge of its own with a private subnet (dockerd only makes docker0 itself).
  const bridge = `db${tag.slice(0, 8)}`;
  execFileSync('/usr/sbin/ip', ['link', 'add', bridge, 'type', 'bridge']);
  execFileSync('/usr/sbin/ip', ['addr', 'add', '10.252.0.1/24', 'dev', bridge]);
  execFileSync('/usr/sbin/ip', ['link', 'set', bridge, 'up']);
  const dockerd = spawnDaemon(
    'dockerd',
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${socket}`,
      '--config-file',
      config,
      '--containerd',
      ctrSock,
      `--bridge=${bridge}`,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--storage-driver',
      'overlay2',
      '--cgroup-parent',
      cgroupParent,
      '--log-level',
      'warn',
    ],
    log,
  );
  const stopBoth = async (notes: string[]) => {
    if (!(await stopChild(dockerd, 30_000))) notes.push('dockerd did not stop on SIGTERM within 30 s (killed)');
    if (!(await stopChild(containerd, 10_000))) notes.push('containerd did not stop on SIGTERM within 10 s (killed)');
    removeBridge(bridge);
    // dockerd makes /run/docker/plugins whatever its exec root: remove it if we caused it.
    if (!runDockerExisted)
      for (const p of ['/run/docker/plugins', '/run/docker']) {
        try {
          rmdirSync(p);
        } catch {
          /* not empty or gone */
        }
      }
  };
  try {
    await waitUntil(
      'dockerd',
      async () => (await request(socket, 'HEAD', '/_ping', { timeoutMs: 1000 })).status === 200,
      dockerd,
      60_000,
      log,
    );
  } catch (e) {
    await stopBoth([]);
    throw e;
  }
  const d: Daemon = {
    name: 'dockerd',
    dir,
    socket,
    host: `unix://${socket}`,
    cgroupParent,
    pid: dockerd.pid!,
    helperPids: [containerd.pid!],
    apiVersion: await negotiate(socket),
    logTail: () => tail(log),
    async stop() {
      const notes: string[] = [];
      if (dockerd.exitCode === null && dockerd.signalCode === null) {
        const n = await removeAllContainers(d).catch((e: Error) => {
          notes.push(`dockerd: listing containers failed: ${e.message}`);
          return 0;
        });
        if (n) notes.push(`dockerd: removed ${n} leftover container(s)`);
      }
      await stopBoth(notes);
      return notes;
    },
  };
  return d;
}

/** Shim processes serving a daemon (their command line names the daemon's directory). */
export function shimPids(dir: string): number[] {
  return pidsReferencing(dir).filter((p) => {
    try {
      return (readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0')[0] ?? '').includes('containerd-shim');
    } catch {
      return false;
    }
  });
}

export function sumRss(pids: readonly number[]): number {
  return pids.reduce((a, p) => a + (readStatus(p)?.rssKiB ?? 0), 0);
}
