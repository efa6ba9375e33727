// `npm run bench`: Berth's performance figures (issue 2, Performance), measured against a
// real dockerd in the same run. Prints a table and, last, one JSON line for machines.
//
//   1. `docker run --rm --network none busybox true` (real docker CLI) against berthd and dockerd
//   2. `berth run --rm --network none busybox true` (our CLI) against berthd
//   3. the same run as API calls from here, timed call by call (where berthd's time goes)
//   4. 50 detached `sleep 300` containers created+started concurrently, then removed (force)
//   5. berthd's resident memory idle and with those 50 running
//   … networking, registry, build, volumes, interactive; 11–12. limits + seccomp, healthcheck CPU;
//   13. the CRI: pod + container start, berthd --cri vs containerd's CRI (--only cri)
//
// Options: --runs N (20), --warmup N (2), --containers N (50), --no-dockerd.
// Environment: BENCH_STATE (set by scripts/bench) names a file where cleanup duties are noted.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { release, cpus, tmpdir } from 'node:os';
import { exchange, request, requestJson } from './http.ts';
import {
  noteState,
  readStatus,
  runCmd,
  shimPids,
  sleep,
  startBerthd,
  startDockerd,
  sumRss,
  sweep,
  mountsUnder,
  pidsReferencing,
  type Daemon,
  type CmdResult,
} from './daemons.ts';
import { mib, ms, round, secs, summarize, table, type Summary } from './stats.ts';
import { networkBench, type NetworkFigures } from './network.ts';
import { registryBench } from './registry.ts';
import { interactiveBench, interactiveReport, type InteractiveFigures } from './interactive.ts';
import { buildBench } from './build.ts';
import { volumesBench } from './volumes.ts';
import { limitsBench, limitsReport, type LimitsFigures } from './limits.ts';
import { criBench, criReport, type CriFigures } from './cri.ts';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..'); // dist/bench -> repo
const DOCKER = '/usr/local/bin/docker';
const BERTH = join(repoRoot, 'bin', 'berth');
const GOAL_RATIO = 0.35;

interface Options {
  runs: number;
  warmup: number;
  containers: number;
  dockerd: boolean;
  only?: string;
}

/** `--only` section names: run (1–5), network, registry, build, interactive, volumes, limits, cri. */
const SECTIONS = ['run', 'network', 'registry', 'build', 'interactive', 'volumes', 'limits', 'cri'];

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { runs: 20, warmup: 2, containers: 50, dockerd: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--runs') o.runs = Math.max(1, num());
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--containers') o.containers = Math.max(1, num());
    else if (a === '--no-dockerd') o.dockerd = false;
    else if (a === '--only') {
      o.only = argv[++i];
      if (!SECTIONS.includes(o.only ?? '')) throw new Error(`--only needs one of ${SECTIONS.join(', ')}`);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'Usage: npm run bench -- [--runs N] [--warmup N] [--containers N] [--no-dockerd] [--only SECTION]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option: ${a}`);
  }
  return o;
}

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** Set on SIGINT/SIGTERM/watchdog: every loop stops at its next step while cleanup runs. */
let aborted = false;
function checkpoint(): void {
  if (aborted) throw new Error('aborted');
}

// ---------------------------------------------------------------- CLI runs

interface CliFigures {
  samples: number[];
  summary?: Summary;
  failures: number;
  firstError?: string;
  skipped?: string;
}

function cliEnv(d: Daemon, root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(DOCKER_|BERTH_)/.test(k)) env[k] = v;
  return {
    ...env,
    DOCKER_HOST: d.host,
    BERTH_HOST: d.host,
    DOCKER_CONFIG: join(root, 'docker-config'),
    DOCKER_CLI_HINTS: 'false',
  };
}

const RUN_ARGS = ['run', '--rm', '--network', 'none', 'busybox', 'true'];

function describeFailure(r: CmdResult): string {
  return `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') || '(no output)'}`;
}

function record(fig: CliFigures, r: CmdResult, measured: boolean): void {
  if (r.code === 0 && Number.isFinite(r.ms)) {
    if (measured) fig.samples.push(r.ms);
    return;
  }
  fig.failures++;
  fig.firstError ??= describeFailure(r);
}

// ---------------------------------------------------------------- API breakdown

/**
 * The create request of `docker run --rm --network none busybox true`, minus the zero-valued
 * fields the docker CLI also sends (neither daemon reads them).
 */
function createBody(autoRemove: boolean, cmd: string[] = ['true'], attach = true): Record<string, unknown> {
  return {
    Image: 'busybox',
    Cmd: cmd,
    AttachStdout: attach,
    AttachStderr: attach,
    HostConfig: { NetworkMode: 'none', AutoRemove: autoRemove },
  };
}

type Step = 'ping' | 'create' | 'attach' | 'waitHeaders' | 'start' | 'waitDone' | 'attachEof' | 'delete' | 'total';
type StepTimes = Partial<Record<Step, number>>;

/**
 * One `docker run` as the docker CLI does it, call by call, from the client side:
 * HEAD /_ping, create, attach (101), wait (headers), start (204), then the wait's body.
 * `cli` uses AutoRemove + condition=removed (what `--rm` does: the daemon deletes);
 * `explicit` uses condition=next-exit and then DELETE, which splits exit from removal.
 */
async function apiRun(d: Daemon, variant: 'cli' | 'explicit'): Promise<StepTimes> {
  const s = d.socket;
  const v = `/v${d.apiVersion}`;
  const t: StepTimes = {};
  const t0 = performance.now();
  await request(s, 'HEAD', '/_ping');
  const t1 = performance.now();
  t.ping = t1 - t0;
  const created = await request(s, 'POST', `${v}/containers/create`, { body: createBody(variant === 'cli') });
  const id = (JSON.parse(created.body.toString()) as { Id: string }).Id;
  const t2 = performance.now();
  t.create = t2 - t1;
  const att = exchange(s, 'POST', `${v}/containers/${id}/attach?stderr=1&stdout=1&stream=1`, {
    headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    closeWriteOnUpgrade: true,
  });
  const ah = await att.head;
  if (ah.status !== 101 && ah.status !== 200) throw new Error(`attach: ${ah.status}`);
  const t3 = performance.now();
  t.attach = t3 - t2;
  const wait = exchange(
    s,
    'POST',
    `${v}/containers/${id}/wait?condition=${variant === 'cli' ? 'removed' : 'next-exit'}`,
  );
  const wh = await wait.head;
  if (wh.status !== 200)
    throw new Error(`wait: ${wh.status} ${(await wait.done.catch(() => undefined))?.body.toString() ?? ''}`);
  const t4 = performance.now();
  t.waitHeaders = t4 - t3;
  await request(s, 'POST', `${v}/containers/${id}/start`);
  const t5 = performance.now();
  t.start = t5 - t4;
  const [w, a] = await Promise.all([wait.done, att.done]);
  const status = (JSON.parse(w.body.toString()) as { StatusCode: number }).StatusCode;
  if (status !== 0) throw new Error(`container exited ${status}: ${w.body.toString().trim()}`);
  t.waitDone = w.endAt - t5;
  t.attachEof = a.endAt - t5;
  let end = Math.max(w.endAt, a.endAt);
  if (variant === 'explicit') {
    await request(s, 'DELETE', `${v}/containers/${id}`);
    const t6 = performance.now();
    t.delete = t6 - end;
    end = t6;
  }
  t.total = end - t0;
  return t;
}

interface Breakdown {
  runs: StepTimes[];
  failures: number;
  firstError?: string;
}

async function breakdown(d: Daemon, variant: 'cli' | 'explicit', o: Options): Promise<Breakdown> {
  const b: Breakdown = { runs: [], failures: 0 };
  for (let i = 0; i < o.warmup + o.runs; i++) {
    checkpoint();
    try {
      const t = await apiRun(d, variant);
      if (i >= o.warmup) b.runs.push(t);
    } catch (e) {
      b.failures++;
      b.firstError ??= (e as Error).message;
    }
  }
  return b;
}

function stepSummary(b: Breakdown | undefined, step: Step): Summary | undefined {
  return b ? summarize(b.runs.map((r) => r[step]).filter((x): x is number => x !== undefined)) : undefined;
}

// ---------------------------------------------------------------- 50 containers

interface Fleet {
  n: number;
  started: number;
  running: number;
  startS: number;
  removeS: number;
  removed: number;
  left: number;
  create?: Summary;
  start?: Summary;
  remove?: Summary;
  firstError?: string;
  daemonRssKiB?: number;
  helperRssKiB?: number;
  shimRssKiB?: number;
  shims: number;
  daemonRssAfterKiB?: number;
}

async function fleet(d: Daemon, n: number): Promise<Fleet> {
  const s = d.socket;
  const v = `/v${d.apiVersion}`;
  const creates: number[] = [];
  const starts: number[] = [];
  let firstError: string | undefined;
  const t0 = performance.now();
  const ids = await Promise.all(
    Array.from({ length: n }, async () => {
      try {
        const c0 = performance.now();
        const r = await requestJson<{ Id: string }>(s, 'POST', `${v}/containers/create`, {
          body: { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } },
          timeoutMs: 120_000,
        });
        const c1 = performance.now();
        creates.push(c1 - c0);
        await request(s, 'POST', `${v}/containers/${r.Id}/start`, { timeoutMs: 120_000 });
        starts.push(performance.now() - c1);
        return r.Id;
      } catch (e) {
        firstError ??= (e as Error).message;
        return undefined;
      }
    }),
  );
  const startS = (performance.now() - t0) / 1000;
  const started = ids.filter((x) => x !== undefined).length;
  const running = (await requestJson<unknown[]>(s, 'GET', `${v}/containers/json`)).length;
  await sleep(1000); // let the start path's garbage settle before reading RSS
  const shims = shimPids(d.dir);
  const f: Fleet = {
    n,
    started,
    running,
    startS,
    removeS: NaN,
    removed: 0,
    left: 0,
    create: summarize(creates),
    start: summarize(starts),
    daemonRssKiB: readStatus(d.pid)?.rssKiB,
    helperRssKiB: d.helperPids.length ? sumRss(d.helperPids) : undefined,
    shimRssKiB: sumRss(shims),
    shims: shims.length,
    firstError,
  };
  const all = await requestJson<{ Id: string }[]>(s, 'GET', `${v}/containers/json?all=1`);
  const removes: number[] = [];
  const t1 = performance.now();
  const results = await Promise.all(
    all.map(async (c) => {
      const r0 = performance.now();
      try {
        await request(s, 'DELETE', `${v}/containers/${c.Id}?force=1`, { timeoutMs: 120_000 });
        removes.push(performance.now() - r0);
        return true;
      } catch (e) {
        f.firstError ??= (e as Error).message;
        return false;
      }
    }),
  );
  f.removeS = (performance.now() - t1) / 1000;
  f.removed = results.filter(Boolean).length;
  f.remove = summarize(removes);
  f.left = (await requestJson<unknown[]>(s, 'GET', `${v}/containers/json?all=1`)).length;
  await sleep(1000);
  f.daemonRssAfterKiB = readStatus(d.pid)?.rssKiB;
  return f;
}

// ---------------------------------------------------------------- images

async function importBusybox(d: Daemon, tar: string, root: string): Promise<void> {
  if (existsSync(DOCKER)) {
    const r = await runCmd(DOCKER, ['import', tar, 'busybox:latest'], cliEnv(d, root), 120_000);
    if (r.code !== 0) throw new Error(`docker import into ${d.name} failed: ${describeFailure(r)}`);
    return;
  }
  const r = await request(d.socket, 'POST', `/v${d.apiVersion}/images/create?fromSrc=-&repo=busybox&tag=latest`, {
    raw: await readFile(tar),
    headers: { 'Content-Type': 'application/x-tar' },
    timeoutMs: 120_000,
  });
  if (r.status !== 200) throw new Error(`import into ${d.name} failed: ${r.status}`);
}

// ---------------------------------------------------------------- floor: runc alone

/** `runc run` of the same rootfs and command, no shim and no daemon: what any engine adds to. */
async function runcFloor(root: string, tag: string, tar: string, o: Options): Promise<CliFigures> {
  const f: CliFigures = { samples: [], failures: 0 };
  const bundle = join(root, 'runc-bundle');
  await mkdir(join(bundle, 'rootfs'), { recursive: true });
  execFileSync('tar', ['-xf', tar, '-C', join(bundle, 'rootfs')]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as {
    process: { terminal: boolean; args: string[] };
    linux: { cgroupsPath?: string };
  };
  spec.process.terminal = false;
  spec.process.args = ['true'];
  for (let i = 0; i < o.warmup + o.runs; i++) {
    checkpoint();
    spec.linux.cgroupsPath = `/berth-bench-${tag}/runc-floor-${i}`;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const r = await runCmd(
      'runc',
      ['--root', join(root, 'runc-state'), 'run', '--bundle', bundle, `berth-bench-${tag}-${i}`],
      process.env,
    );
    record(f, r, i >= o.warmup);
    if (i === 0 && r.code !== 0) {
      f.skipped = `runc run failed (${describeFailure(r)})`;
      break;
    }
  }
  f.summary = summarize(f.samples);
  return f;
}

// ---------------------------------------------------------------- main

interface Results {
  env: Record<string, string>;
  dockerCli: { berthd: CliFigures; dockerd: CliFigures };
  berthCli: CliFigures;
  runc: CliFigures;
  breakdown: { berthd?: { cli: Breakdown; explicit: Breakdown }; dockerd?: { cli: Breakdown; explicit: Breakdown } };
  fleet: { berthd?: Fleet; dockerd?: Fleet };
  mem: {
    startupKiB?: number;
    idleKiB?: number;
    afterRunsKiB?: number;
    with50KiB?: number;
    afterRemoveKiB?: number;
    hwmKiB?: number;
    dockerdIdleKiB?: number;
    containerdIdleKiB?: number;
  };
  dockerdError?: string;
  network?: NetworkFigures;
  errors: string[];
  cleanup: string[];
}

function versionOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
      .toString()
      .trim()
      .split('\n')[0];
  } catch {
    return 'n/a';
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (berthd, runc, overlay mounts)');
  const root = await mkdtemp(join(tmpdir(), 'berth-bench-')); // TMPDIR picks the disk
  noteState(`root ${root}`);
  const tag = basename(root).replace(/^berth-bench-/, '');
  const res: Results = {
    env: {},
    dockerCli: { berthd: { samples: [], failures: 0 }, dockerd: { samples: [], failures: 0 } },
    berthCli: { samples: [], failures: 0 },
    runc: { samples: [], failures: 0 },
    breakdown: {},
    fleet: {},
    mem: {},
    errors: [],
    cleanup: [],
  };
  const daemons: Daemon[] = [];
  let interactive: InteractiveFigures | undefined;
  let limits: LimitsFigures | undefined;
  let cri: CriFigures | undefined;
  const cgroups = [`/berth-bench-${tag}`, `/docker-bench-${tag}`, `/berth-bench-cri-${tag}`];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const d of daemons.reverse())
        res.cleanup.push(...(await d.stop().catch((e: Error) => [`${d.name} stop: ${e.message}`])));
      res.cleanup.push(...(await sweep(root, cgroups)));
      const left = [...mountsUnder(root), ...pidsReferencing(root).map(String)];
      if (left.length || existsSync(root)) res.cleanup.push(`left behind: ${left.join(', ') || root}`);
    })());
  const onSignal = (sig: string) => {
    if (aborted) return;
    aborted = true;
    progress(`${sig}: stopping daemons and removing ${root}`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const watchdog = setTimeout(() => onSignal('watchdog (30 min)'), 30 * 60_000);
  watchdog.unref();

  res.env = {
    kernel: release(),
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    node: process.version,
    dockerCli: existsSync(DOCKER) ? versionOf(DOCKER, ['--version']) : 'missing',
    runc: versionOf('runc', ['--version']),
    root,
  };

  try {
    const tar = join(root, 'busybox.tar');
    execFileSync(join(repoRoot, 'scripts', 'busybox-rootfs'), [tar], { stdio: ['ignore', 'ignore', 'inherit'] });

    progress('starting berthd');
    const berthd = await startBerthd(repoRoot, root, tag);
    daemons.push(berthd);
    res.mem.startupKiB = readStatus(berthd.pid)?.rssKiB;
    await importBusybox(berthd, tar, root);

    let dockerd: Daemon | undefined;
    if (!o.dockerd) res.dockerdError = 'skipped (--no-dockerd)';
    else if (!versionOf('sh', ['-c', 'command -v dockerd && command -v containerd']).startsWith('/'))
      res.dockerdError = 'dockerd/containerd not installed';
    else {
      progress('starting dockerd (own containerd, no bridge, no iptables)');
      try {
        dockerd = await startDockerd(root, tag);
        daemons.push(dockerd);
        await importBusybox(dockerd, tar, root);
        const ver = await requestJson<{ Version: string; ApiVersion: string }>(dockerd.socket, 'GET', '/version');
        res.env.dockerd = `${ver.Version} (API ${ver.ApiVersion})`;
      } catch (e) {
        res.dockerdError = (e as Error).message;
        progress(`dockerd unavailable: ${res.dockerdError.split('\n')[0]}`);
        if (dockerd) {
          daemons.pop();
          res.cleanup.push(...(await dockerd.stop()));
          dockerd = undefined;
        }
      }
    }
    await sleep(1000);
    res.mem.idleKiB = readStatus(berthd.pid)?.rssKiB;
    if (dockerd) {
      res.mem.dockerdIdleKiB = readStatus(dockerd.pid)?.rssKiB;
      res.mem.containerdIdleKiB = sumRss(dockerd.helperPids);
    }

    const want = (section: string) => !o.only || o.only === section;
    if (want('run')) {
      // 1+2. docker CLI, interleaved berthd/dockerd so drift hits both alike.
      const targets: [Daemon, CliFigures][] = [[berthd, res.dockerCli.berthd]];
      if (dockerd) targets.push([dockerd, res.dockerCli.dockerd]);
      else res.dockerCli.dockerd.skipped = res.dockerdError;
      if (!existsSync(DOCKER)) {
        for (const [, f] of targets) f.skipped = `${DOCKER} not found`;
      } else {
        progress(
          `docker run: ${o.warmup} warm-up + ${o.runs} runs against ${targets.map(([d]) => d.name).join(' and ')}`,
        );
        for (let i = 0; i < o.warmup + o.runs; i++) {
          checkpoint();
          for (const [d, f] of targets) record(f, await runCmd(DOCKER, RUN_ARGS, cliEnv(d, root)), i >= o.warmup);
        }
      }
      for (const f of [res.dockerCli.berthd, res.dockerCli.dockerd, res.berthCli]) f.summary = summarize(f.samples);

      // 3. berth CLI
      if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) res.berthCli.skipped = 'CLI not built';
      else {
        progress(`berth run: ${o.warmup} warm-up + ${o.runs} runs`);
        for (let i = 0; i < o.warmup + o.runs; i++) {
          checkpoint();
          const r = await runCmd(BERTH, RUN_ARGS, cliEnv(berthd, root));
          record(res.berthCli, r, i >= o.warmup);
          if (i === 0 && r.code !== 0) {
            res.berthCli.skipped = `first run failed (${describeFailure(r)})`;
            break;
          }
        }
        res.berthCli.summary = summarize(res.berthCli.samples);
      }
      res.mem.afterRunsKiB = readStatus(berthd.pid)?.rssKiB;

      checkpoint();
      progress(`runc run (floor): ${o.warmup} warm-up + ${o.runs} runs`);
      res.runc = await runcFloor(root, tag, tar, o).catch((e: Error) => {
        if (aborted) throw e;
        return { samples: [], failures: 1, firstError: e.message, skipped: `runc floor failed: ${e.message}` };
      });

      // API breakdown
      for (const d of dockerd ? [berthd, dockerd] : [berthd]) {
        checkpoint();
        progress(`API call breakdown against ${d.name}`);
        const cli = await breakdown(d, 'cli', o);
        const explicit = await breakdown(d, 'explicit', o);
        res.breakdown[d.name as 'berthd' | 'dockerd'] = { cli, explicit };
      }

      // 4+5. 50 containers
      checkpoint();
      progress(`${o.containers} detached containers on berthd`);
      res.fleet.berthd = await fleet(berthd, o.containers);
      res.mem.with50KiB = res.fleet.berthd.daemonRssKiB;
      res.mem.afterRemoveKiB = res.fleet.berthd.daemonRssAfterKiB;
      res.mem.hwmKiB = readStatus(berthd.pid)?.hwmKiB;
      if (dockerd) {
        checkpoint();
        progress(`${o.containers} detached containers on dockerd`);
        res.fleet.dockerd = await fleet(dockerd, o.containers).catch((e: Error) => {
          if (aborted) throw e;
          res.errors.push(`dockerd fleet: ${e.message}`);
          return undefined;
        });
      }
    }

    // 6. Networking (issue 5): bridge runs, set-up alone, throughput and requests/s.
    checkpoint();
    progress('networking: bridge runs, set-up + teardown, published-port traffic');
    if (want('network'))
      res.network = await networkBench({
        berthd,
        dockerd,
        env: (d) => cliEnv(d, root),
        runs: o.runs,
        warmup: o.warmup,
        tag,
      });

    // 7. Registries (issue 4): cold/warm pull vs dockerd, push, save | load.
    checkpoint();
    progress('registry: cold pull of a 5-layer image (berthd, dockerd), warm pull, push, save | load');
    await mkdir(join(root, 'registry'), { recursive: true });
    if (want('registry'))
      (res as { registry?: unknown }).registry = await registryBench({
        berthd,
        dockerd,
        env: (d) => cliEnv(d, root),
        dir: join(root, 'registry'),
        berthCli: BERTH,
      });

    // 8. Builds (issue 6): cold, fully cached, last step changed vs dockerd's legacy builder.
    checkpoint();
    progress('build: bench Dockerfile cold, cached, last step changed (berthd, dockerd)');
    await mkdir(join(root, 'build'), { recursive: true });
    if (want('build'))
      (res as { build?: unknown }).build = await buildBench({
        berthd,
        dockerd,
        env: (d) => cliEnv(d, root),
        dir: join(root, 'build'),
        berthCli: BERTH,
      });

    // 9. Volumes (issue 10): run with a volume, create/rm through the API, copy-up vs cp -a.
    checkpoint();
    if (want('volumes')) {
      progress('volumes: run -v, volume create/rm, copy-up of 10 000 files (berthd, dockerd)');
      await mkdir(join(root, 'volumes'), { recursive: true });
      (res as { volumes?: unknown }).volumes = await volumesBench({
        berthd,
        dockerd,
        env: (d) => cliEnv(d, root),
        dir: join(root, 'volumes'),
        runs: o.runs,
      });
    }

    // 10. Interactive (issue 3): exec latency vs dockerd, throughput through attach.
    checkpoint();
    progress('interactive: docker exec latency (berthd, dockerd), cat /dev/zero through attach');
    if (want('interactive'))
      interactive = await interactiveBench({ berthd, dockerd, env: (d) => cliEnv(d, root), runs: o.runs });

    // 11–12. Limits and health (issue 11): what limits + seccomp add to a run; berthd's CPU with healthchecks.
    checkpoint();
    progress('limits: run with/without limits and seccomp; berthd CPU with 20 healthchecked containers');
    if (want('limits'))
      limits = await limitsBench({ berthd, env: (d) => cliEnv(d, root), runs: o.runs, warmup: o.warmup });

    // 13. The CRI (issue 13): pod + container start, berthd --cri vs containerd's CRI.
    checkpoint();
    if (want('cri')) {
      progress('cri: crictl run (pod + container) against berthd --cri and containerd (own root/state/socket)');
      await mkdir(join(root, 'cri'), { recursive: true });
      cri = await criBench({ repoRoot, dir: join(root, 'cri'), tag, runs: o.runs, warmup: o.warmup });
    }
  } catch (e) {
    res.errors.push((e as Error).stack ?? String(e));
    for (const d of daemons) res.errors.push(`--- ${d.name} log tail ---\n${d.logTail()}`);
  } finally {
    progress('stopping daemons, removing temporary directories');
    await cleanup();
  }
  report(res, o);
  if (interactive) process.stdout.write(interactiveReport(interactive, o.runs).join('\n') + '\n');
  if (limits) process.stdout.write(limitsReport(limits, o.runs).join('\n') + '\n');
  if (cri) process.stdout.write(criReport(cri, o.runs).join('\n') + '\n');
  return res.errors.length ? 1 : 0;
}

// ---------------------------------------------------------------- report

function cliRow(label: string, f: CliFigures): string[] {
  const s = f.summary;
  if (!s)
    return [
      label,
      'n/a',
      'n/a',
      'n/a',
      'n/a',
      f.skipped ?? (f.failures ? `${f.failures} failed: ${f.firstError}` : ''),
    ];
  // Far quicker than the median means the run probably did not do the work: flag it.
  const quick = f.samples.filter((x) => x < 0.4 * s.median);
  const notes = [`n=${s.n}`];
  if (quick.length)
    notes.push(`${quick.length} suspiciously quick (<40% of median: ${quick.map((x) => x.toFixed(0)).join(', ')} ms)`);
  if (f.failures) notes.push(`${f.failures} failed: ${f.firstError}`);
  return [label, ms(s.median), ms(s.p90), ms(s.min), ms(s.max), notes.join(', ')];
}

const STEPS: [Step, string][] = [
  ['ping', 'HEAD /_ping'],
  ['create', 'POST /containers/create'],
  ['attach', 'POST …/attach → 101'],
  ['waitHeaders', 'POST …/wait → headers'],
  ['start', 'POST …/start → 204'],
  ['waitDone', 'wait body, after start'],
  ['attachEof', 'attach EOF, after start'],
  ['delete', 'DELETE …/{id} (explicit)'],
  ['total', 'total (client side)'],
];

function fleetRow(label: string, f: Fleet | undefined): string[] {
  if (!f) return [label, 'n/a', 'n/a', 'n/a', 'n/a', ''];
  const notes = [`${f.started}/${f.n} started, ${f.running} running, ${f.removed} removed, ${f.left} left`];
  if (f.firstError) notes.push(`first error: ${f.firstError}`);
  return [
    label,
    secs(f.startS),
    secs(f.removeS),
    `${ms(f.create?.median)} / ${ms(f.create?.max)}`,
    `${ms(f.start?.median)} / ${ms(f.start?.max)}`,
    notes.join('; '),
  ];
}

function report(res: Results, o: Options): void {
  const out: string[] = [];
  const b = res.dockerCli.berthd.summary;
  const dk = res.dockerCli.dockerd.summary;
  const ratio = b && dk ? b.median / dk.median : NaN;
  out.push('', `Berth bench — ${new Date().toISOString()}`);
  out.push(
    Object.entries(res.env)
      .filter(([k]) => k !== 'root')
      .map(([k, v]) => `${k}: ${v}`)
      .join('; '),
  );
  out.push('', `1–3. Run a container (${o.warmup} warm-up, ${o.runs} measured; wall time of the client process)`);
  out.push(
    table([
      ['command', 'median', 'p90', 'min', 'max', 'notes'],
      cliRow('docker run --rm --network none busybox true → berthd', res.dockerCli.berthd),
      cliRow('docker run --rm --network none busybox true → dockerd', res.dockerCli.dockerd),
      cliRow('berth run --rm --network none busybox true → berthd', res.berthCli),
      cliRow('runc run (same rootfs, `true`; no daemon, no shim) — floor', res.runc),
    ]),
  );
  out.push(
    Number.isFinite(ratio)
      ? `ratio berthd/dockerd (docker CLI medians): ${ratio.toFixed(3)} — goal ≤ ${GOAL_RATIO}: ${ratio <= GOAL_RATIO ? 'MET' : 'NOT MET'}`
      : `ratio berthd/dockerd: n/a${res.dockerdError ? ` (dockerd: ${res.dockerdError.split('\n')[0]})` : ''}`,
  );

  const bd = res.breakdown;
  if (bd.berthd) {
    out.push(
      '',
      `Where the time goes: the docker CLI's calls made from here (medians of ${o.runs}; "--rm" = AutoRemove + wait?condition=removed, "explicit" = wait?condition=next-exit then DELETE)`,
    );
    const header = ['API call', 'berthd --rm', 'berthd explicit'];
    if (bd.dockerd) header.push('dockerd --rm', 'dockerd explicit');
    const rows: string[][] = [header];
    for (const [step, label] of STEPS) {
      const row = [
        label,
        ms(stepSummary(bd.berthd.cli, step)?.median),
        ms(stepSummary(bd.berthd.explicit, step)?.median),
      ];
      if (bd.dockerd)
        row.push(ms(stepSummary(bd.dockerd.cli, step)?.median), ms(stepSummary(bd.dockerd.explicit, step)?.median));
      rows.push(row);
    }
    out.push(table(rows));
    for (const [name, x] of Object.entries(bd)) {
      for (const [variant, br] of Object.entries(x ?? {}) as [string, Breakdown][]) {
        if (br.failures) out.push(`${name} ${variant}: ${br.failures} failed run(s): ${br.firstError}`);
      }
    }
  }

  out.push(
    '',
    `4. ${o.containers} detached containers (sleep 300), created+started concurrently through the API, then removed with force concurrently`,
  );
  out.push(
    table([
      ['daemon', 'create+start', 'remove', 'create med/max', 'start med/max', 'notes'],
      fleetRow('berthd', res.fleet.berthd),
      fleetRow('dockerd', res.fleet.dockerd),
    ]),
  );

  const m = res.mem;
  const fb = res.fleet.berthd;
  const fd = res.fleet.dockerd;
  out.push('', '5. Resident memory (VmRSS)');
  out.push(
    table([
      ['process', 'idle', `with ${o.containers} running`, 'notes'],
      [
        'berthd',
        mib(m.idleKiB),
        mib(m.with50KiB),
        `at start-up ${mib(m.startupKiB)}; after the runs ${mib(m.afterRunsKiB)}; after removing all ${mib(m.afterRemoveKiB)}; peak (VmHWM) ${mib(m.hwmKiB)}`,
      ],
      ['berthd shims (containerd-shim-runc-v2)', '', fb ? mib(fb.shimRssKiB) : 'n/a', fb ? `${fb.shims} shims` : ''],
      [
        'dockerd',
        mib(m.dockerdIdleKiB),
        mib(fd?.daemonRssKiB),
        fd ? `after removing all ${mib(fd.daemonRssAfterKiB)}` : '',
      ],
      ["dockerd's containerd", mib(m.containerdIdleKiB), mib(fd?.helperRssKiB), ''],
      ['dockerd shims (containerd-shim-runc-v2)', '', fd ? mib(fd.shimRssKiB) : 'n/a', fd ? `${fd.shims} shims` : ''],
    ]),
  );

  if (res.errors.length) out.push('', 'ERRORS:', ...res.errors);
  out.push(
    '',
    `cleanup: ${res.cleanup.length ? res.cleanup.join('; ') : 'daemons stopped, temporary directories removed, nothing left behind'}`,
    '',
  );
  process.stdout.write(out.join('\n') + '\n');

  const sum = (s: Summary | undefined) =>
    s ? { median: round(s.median), p90: round(s.p90), min: round(s.min), max: round(s.max), n: s.n } : null;
  const steps = (br: Breakdown | undefined) =>
    br
      ? Object.fromEntries(
          STEPS.map(([k]) => [k, round(stepSummary(br, k)?.median ?? NaN)]).filter(([, v]) => Number.isFinite(v)),
        )
      : null;
  const fleetJson = (f: Fleet | undefined) =>
    f
      ? {
          n: f.n,
          started: f.started,
          removed: f.removed,
          createStartS: round(f.startS, 3),
          removeS: round(f.removeS, 3),
          daemonRssKiB: f.daemonRssKiB ?? null,
          shimRssKiB: f.shimRssKiB ?? null,
          helperRssKiB: f.helperRssKiB ?? null,
        }
      : null;
  const json = {
    bench: 'berth',
    version: 1,
    time: new Date().toISOString(),
    runs: o.runs,
    warmup: o.warmup,
    dockerRunMs: {
      berthd: sum(b),
      dockerd: sum(dk),
      ratio: Number.isFinite(ratio) ? round(ratio, 3) : null,
      goal: GOAL_RATIO,
      met: Number.isFinite(ratio) ? ratio <= GOAL_RATIO : null,
    },
    berthRunMs: sum(res.berthCli.summary),
    runcRunMs: sum(res.runc.summary),
    breakdownMedianMs: {
      berthd: { rm: steps(bd.berthd?.cli), explicit: steps(bd.berthd?.explicit) },
      dockerd: bd.dockerd ? { rm: steps(bd.dockerd.cli), explicit: steps(bd.dockerd.explicit) } : null,
    },
    containers: { berthd: fleetJson(res.fleet.berthd), dockerd: fleetJson(res.fleet.dockerd) },
    berthdRssKiB: {
      idle: m.idleKiB ?? null,
      with50: m.with50KiB ?? null,
      startup: m.startupKiB ?? null,
      afterRemove: m.afterRemoveKiB ?? null,
      hwm: m.hwmKiB ?? null,
    },
    dockerdRssKiB: {
      idle: m.dockerdIdleKiB ?? null,
      with50: fd?.daemonRssKiB ?? null,
      containerdIdle: m.containerdIdleKiB ?? null,
    },
    env: Object.fromEntries(Object.entries(res.env).filter(([k]) => k !== 'root')),
    errors: res.errors.length,
  };
  process.stdout.write(JSON.stringify(json) + '\n');
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exit(1);
  },
);
