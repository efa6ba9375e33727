// Starts a real berthd for a test: its own data root, exec root, socket and cgroup parent,
// real runc, real shims. `cleanup()` removes every container, stops the daemon and checks
// that nothing it made outlives the test (mounts, shims) and that it never logged an
// illegal container state transition (containers/state-machine.ts), even a swallowed one.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { before, after } from 'node:test';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { request, type Response } from './http.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
export const repoRoot = join(here, '..', '..', '..'); // dist/test/helpers -> repo root
export const berthdMain = join(repoRoot, 'dist', 'src', 'daemon', 'main.js');

/**
 * Flags for a one-off berthd of its own under `root` (data and exec roots there, daemon.json
 * `root/daemon.json` unless named), without a bridge unless one is named.
 */
export function scratchDaemonArgs(
  root: string,
  o: { config?: string; bridge?: string; cgroupParent?: string } = {},
): string[] {
  return [
    '--data-root',
    join(root, 'data'),
    '--exec-root',
    join(root, 'exec'),
    '--config-file',
    o.config ?? join(root, 'daemon.json'),
    '--bridge',
    o.bridge ?? 'none',
    ...(o.cgroupParent ? ['--cgroup-parent', o.cgroupParent] : []),
  ];
}
export const berthMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export const isRoot = process.getuid?.() === 0;

export interface TestDaemon {
  readonly root: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly host: string;
  proc: ChildProcess;
  logs(): string;
  api(method: string, path: string, opts?: Parameters<typeof request>[3]): Promise<Response>;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  cleanup(): Promise<void>;
}

export interface DaemonOptions {
  extraArgs?: string[];
  /** Extra environment for berthd (e.g. BERTH_JOURNAL_NAMESPACE). */
  env?: Record<string, string>;
  /** daemon.json keys on top of the test's bridge and pool (a function of the test root if they derive from it). */
  config?: Record<string, unknown> | ((root: string) => Record<string, unknown>);
  root?: string;
  /**
   * A network namespace (under /run/netns) to run berthd in: a whole host as far as
   * netfilter goes (its own iptables/nftables tables, sysctls, bridges, loopback). Only the
   * network namespace changes, so mounts and shims stay visible to the leak checks.
   */
  netns?: string;
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<TestDaemon> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'berth-test-')));
  const dataRoot = join(root, 'data');
  const execRoot = join(root, 'exec');
  const socket = join(root, 'berth.sock');
  const configFile = join(root, 'daemon.json');
  const cgroupParent = `/berth-test-${root.split('-').pop()}`;
  // Every test daemon gets its own default bridge and address pool, apart from the host's
  // and from other test daemons running in parallel.
  const net = testNetwork(root);
  await writeFile(
    configFile,
    JSON.stringify({
      bridge: net.bridge,
      'default-address-pools': [{ base: net.pool, size: 24 }],
      ...(typeof opts.config === 'function' ? opts.config(root) : opts.config),
    }),
  );
  let output = '';
  // Illegal state transitions berthd logged, over every start of this daemon.
  const illegal = new Set<string>();
  const scanIllegal = () => {
    for (const line of output.split('\n')) if (line.includes(ILLEGAL_TRANSITION)) illegal.add(line);
  };
  const d: TestDaemon = {
    root,
    dataRoot,
    execRoot,
    socket,
    host: `unix://${socket}`,
    proc: undefined as unknown as ChildProcess,
    logs: () => output,
    api: (m, p, o) => request(socket, m, p, o),
    async start() {
      scanIllegal();
      output = '';
      const args = [
        berthdMain,
        '--data-root',
        dataRoot,
        '--exec-root',
        execRoot,
        '-H',
        `unix://${socket}`,
        '--config-file',
        configFile,
        '--cgroup-parent',
        cgroupParent,
        '--log-level',
        'debug',
        ...(opts.extraArgs ?? []),
      ];
      const env = opts.env ? { ...process.env, ...opts.env } : process.env;
      d.proc = opts.netns
        ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, '--', process.execPath, ...args], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env,
          })
        : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
      d.proc.stdout!.on('data', (c) => (output += c));
      d.proc.stderr!.on('data', (c) => (output += c));
      // Up means answering /_ping; a daemon that exits (by code or by signal) fails at once
      // with its output. The limit is only a backstop for a hung daemon: a loaded shared
      // host can take many seconds to load the code and fsync state. A daemon that misses it
      // is killed, or its piped output would keep the test runner alive.
      const started = performance.now();
      const deadline = started + 45_000;
      const exited = new Promise<string>((r) =>
        d.proc.once('exit', (code, sig) => r(`berthd exited early (${code ?? sig}):\n${output}`)),
      );
      let gone: string | undefined;
      void exited.then((m) => (gone = m));
      while (performance.now() < deadline) {
        if (gone) throw new Error(gone);
        try {
          const r = await request(socket, 'GET', '/_ping', { timeoutMs: 5000 });
          if (r.status === 200) return;
        } catch {
          /* not up yet */
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 25))]);
      }
      if (gone) throw new Error(gone);
      d.proc.kill('SIGKILL');
      throw new Error(`berthd did not come up in ${Math.round(performance.now() - started)} ms:\n${output}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
      const exited = new Promise((r) => d.proc.once('exit', r));
      d.proc.kill(signal);
      await exited;
      scanIllegal();
    },
    async cleanup() {
      let stopError: unknown;
      const removeFailures: string[] = [];
      try {
        if (d.proc.exitCode === null && d.proc.signalCode === null) {
          const list = await d
            .api('GET', '/containers/json?all=1')
            .then((r) => r.json<{ Id: string }[]>())
            .catch(() => []);
          // A container berthd fails to remove stays mounted and running under its shim
          // after the SIGTERM below: name that failure, it is the cause of the leaks.
          await Promise.all(
            list.map((c) =>
              d.api('DELETE', `/containers/${c.Id}?force=1`).then(
                (r) => {
                  if (r.status !== 204 && r.status !== 404)
                    removeFailures.push(`${c.Id.slice(0, 12)}: ${r.status} ${r.body.toString().trim()}`);
                },
                (err: Error) => removeFailures.push(`${c.Id.slice(0, 12)}: ${err.message}`),
              ),
            ),
          );
        }
        await d.stop('SIGTERM');
      } catch (err) {
        stopError = err;
      }
      {
        // Anything still mounted below the test root is a leak: undo it, then fail loudly.
        const leaks = mountsUnder(root);
        for (const m of leaks.reverse()) {
          try {
            execFileSync('umount', ['-l', m]);
          } catch {
            /* already gone */
          }
        }
        // Shims of this daemon (its containers' and its idle pool's) must all be gone. One
        // told to shut down exits on its own schedule (slowly on a loaded host): a leak is a
        // shim still there after a generous wait, not one caught mid-exit.
        const shimsLeft = performance.now() + 30_000;
        while (shimsOf(execRoot).length && performance.now() < shimsLeft) await new Promise((r) => setTimeout(r, 100));
        const shims = shimsOf(execRoot);
        for (const pid of shims) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        // The daemon's own bridge name: the test's, unless its config names another.
        const cfg = typeof opts.config === 'function' ? opts.config(root) : opts.config;
        const bridge = typeof cfg?.bridge === 'string' ? cfg.bridge : net.bridge;
        const netLeaks = await removeNetworking(dataRoot, execRoot, bridge, opts.netns);
        await rm(root, { recursive: true, force: true }).catch(() => {});
        await removeCgroupParent(cgroupParent);
        const because = removeFailures.length
          ? ` (force-removing containers failed: ${removeFailures.join('; ')})`
          : '';
        if (leaks.length) throw new Error(`leaked mounts: ${leaks.join(', ')}${because}`);
        if (removeFailures.length) throw new Error(`force-removing containers failed: ${removeFailures.join('; ')}`);
        if (shims.length) throw new Error(`leaked shims: ${shims.join(', ')}`);
        if (netLeaks.length) throw new Error(`leaked network state: ${netLeaks.join(', ')}`);
        scanIllegal();
        if (illegal.size) throw new Error(`berthd logged illegal state transitions:\n${[...illegal].join('\n')}`);
      }
      if (stopError) throw stopError;
    },
  };
  await d.start();
  return d;
}

/** What berthd logs for a status change its transition table forbids. */
export const ILLEGAL_TRANSITION = 'illegal container state transition';

export function mountsUnder(prefix: string): string[] {
  const text = execFileSync('cat', ['/proc/self/mountinfo']).toString();
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && (m === prefix || m.startsWith(prefix + '/')));
}

let busyboxTar: Buffer | undefined;

/** The busybox rootfs tar from scripts/busybox-rootfs (built once per process). */
export async function busyboxRootfs(): Promise<Buffer> {
  if (!busyboxTar) {
    const out = join(tmpdir(), `bb-${process.pid}.tar`);
    execFileSync(join(repoRoot, 'scripts', 'busybox-rootfs'), [out]);
    busyboxTar = await readFile(out);
    await rm(out, { force: true });
  }
  return busyboxTar;
}

/** Imports busybox into the daemon as `busybox:latest`. */
export async function importBusybox(d: TestDaemon, ref = 'busybox'): Promise<string> {
  const r = await d.api('POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(ref)}`, {
    raw: await busyboxRootfs(),
    headers: { 'Content-Type': 'application/x-tar' },
  });
  if (r.status !== 200) throw new Error(`import failed: ${r.status} ${r.body}`);
  return JSON.parse(r.body.toString().trim().split('\n').pop()!).status;
}

export function hasDockerCli(): boolean {
  return existsSync('/usr/local/bin/docker') || existsSync('/usr/bin/docker');
}

/** Runs a CLI (docker or berth) against the test daemon; never throws on exit codes. */
export function runCli(
  bin: 'docker' | 'berth',
  d: TestDaemon,
  args: string[],
  input?: string | Buffer,
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = bin === 'docker' ? ['docker', args] : [process.execPath, [berthMain, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      env: { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host, DOCKER_CONFIG: join(d.root, 'docker-config') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    // A CLI that hangs is a failure of its own: the error says what it printed and what
    // berthd logged last, so a CI run that hit it can be read without a rerun.
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      if (!timedOut) return resolve({ code: code ?? -1, stdout, stderr });
      const tail = d.logs().trimEnd().split('\n').slice(-60).join('\n');
      reject(
        new Error(
          `${bin} ${args.join(' ')}: no exit in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}\nberthd's last lines:\n${tail}`,
        ),
      );
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** The docker CLI against `d`, which must exit 0 (the failure names the command and its stderr); its stdout. */
export async function dockerOk(d: TestDaemon, args: string[]): Promise<string> {
  const r = await runCli('docker', d, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Shim processes started for a daemon: their -address lies in its exec root. */
export function shimsOf(execRoot: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `containerd-shim-runc-v2 .*-address ${execRoot}/`])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Removes a test daemon's cgroup parent from every hierarchy (runc removes a container's
 * own cgroup but leaves the parent). Children go first; a cgroup whose last task is still
 * exiting refuses rmdir for a moment, hence the retries.
 */
export async function removeCgroupParent(parent: string): Promise<void> {
  const { readdir, rmdir } = await import('node:fs/promises');
  const roots = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  const removeTree = async (dir: string): Promise<void> => {
    const kids = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const k of kids) if (k.isDirectory()) await removeTree(join(dir, k.name));
    for (let i = 0; i < 20; i++) {
      try {
        await rmdir(dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  for (const r of ['', ...roots]) await removeTree(join('/sys/fs/cgroup', r, parent));
}

/**
 * Registers a test file's daemon: started (with busybox imported) before its tests and
 * cleaned up after them. `set` receives it; nothing runs when the tests are skipped.
 */
export function useDaemon(set: (d: TestDaemon) => void, opts: DaemonOptions & { busybox?: boolean } = {}): void {
  let daemon: TestDaemon | undefined;
  before(
    async () => {
      if (!isRoot) return;
      daemon = await startDaemon(opts);
      set(daemon);
      if (opts.busybox !== false) await importBusybox(daemon);
    },
    { timeout: 60_000 },
  );
  after(async () => {
    if (daemon) await daemon.cleanup();
  });
}

const group = (h: string) => Number.parseInt(h, 16).toString(16);

/** A bridge name, a /16 pool and an IPv6 ULA /48 derived from the test root (unique per daemon). */
export function testNetwork(root: string): { bridge: string; pool: string; pool6: string; table: string } {
  const h = createHash('sha256').update(root).digest();
  const suffix = root
    .split('-')
    .pop()!
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(0, 8);
  const hex = h.toString('hex');
  return {
    bridge: `bt${suffix}`,
    pool: `10.${100 + (h[0] % 150)}.0.0/16`,
    // Groups in the canonical form (no leading zeros) that ip, nft and inspect print.
    pool6: `fd${hex.slice(2, 4)}:${group(hex.slice(4, 8))}:${group(hex.slice(8, 12))}::/48`,
    table: `berth-bt${suffix}`,
  };
}

/** The prefixes berthd gives its namespaces and host veths (see daemon/wire-network.ts). */
export function netPrefixes(execRoot: string): { netns: string; veth: string } {
  const tag = createHash('sha256').update(execRoot).digest('hex').slice(0, 6);
  return { netns: `berth-${tag}-`, veth: `vb${tag.slice(0, 4)}` };
}

/**
 * After the daemon stopped: namespaces or veths of its containers, and its accept chains
 * in an iptables filter table (a clean stop removes them), are leaks (returned); its
 * bridges and nftables tables are removed (they outlive a daemon by design). With `netns`
 * the daemon's links and tables live in that namespace.
 */
export async function removeNetworking(
  dataRoot: string,
  execRoot: string,
  bridge: string,
  netns?: string,
): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const inNs = (bin: string, args: string[]) =>
    netns
      ? execFileSync('nsenter', [`--net=/run/netns/${netns}`, '--', bin, ...args], {
          stdio: ['ignore', 'pipe', 'ignore'],
        })
      : execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const quiet = (bin: string, args: string[]) => {
    try {
      return inNs(bin, args).toString();
    } catch {
      return '';
    }
  };
  const p = netPrefixes(execRoot);
  const leaks: string[] = [];
  for (const ns of (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(p.netns))) {
    leaks.push(`netns ${ns}`);
    quiet('/usr/sbin/ip', ['netns', 'del', ns]);
  }
  if (netns && !existsSync(`/run/netns/${netns}`)) return leaks;
  const links = quiet('/usr/sbin/ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '');
  for (const l of links.filter((n) => n.startsWith(p.veth))) {
    leaks.push(`veth ${l}`);
    quiet('/usr/sbin/ip', ['link', 'del', l]);
  }
  const bridges = [bridge];
  for (const f of await readdir(join(dataRoot, 'network', 'networks')).catch(() => [] as string[])) {
    try {
      const n = JSON.parse(await readFile(join(dataRoot, 'network', 'networks', f), 'utf8'));
      if (n.bridge) bridges.push(n.bridge);
    } catch {
      /* skip */
    }
  }
  for (const b of new Set(bridges)) quiet('/usr/sbin/ip', ['link', 'del', b]);
  for (const family of ['ip', 'ip6', 'bridge']) quiet('/usr/sbin/nft', ['delete', 'table', family, `berth-${bridge}`]);
  // Our accept chain in a filter table someone else made (see network/filter-rules.ts).
  const chain = `BERTH-${bridge}`;
  const tables = quiet('/usr/sbin/nft', ['list', 'tables']);
  for (const [fam, names, ipt] of [
    ['ip', '/proc/net/ip_tables_names', 'iptables'],
    ['ip6', '/proc/net/ip6_tables_names', 'ip6tables'],
  ] as const) {
    const backends = [
      ...(tables.includes(`table ${fam} filter\n`) ? ['nft'] : []),
      ...(quiet('cat', [names]).split('\n').includes('filter') ? ['legacy'] : []),
    ];
    for (const b of backends) {
      const saved = quiet(`/usr/sbin/${ipt}-${b}-save`, ['-t', 'filter']);
      if (!saved.includes(`:${chain} `)) continue;
      leaks.push(`${fam} filter (${b}) chain ${chain}`);
      for (const l of saved.split('\n').filter((x) => x.endsWith(` -j ${chain}`)))
        quiet(`/usr/sbin/${ipt}-${b}`, ['-t', 'filter', '-D', ...l.split(' ').slice(1)]);
      quiet(`/usr/sbin/${ipt}-${b}`, ['-t', 'filter', '-F', chain]);
      quiet(`/usr/sbin/${ipt}-${b}`, ['-t', 'filter', '-X', chain]);
    }
  }
  return leaks;
}
