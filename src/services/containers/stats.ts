// GET /containers/{id}/stats: Docker's stats shape (cpu_stats, precpu_stats, memory_stats,
// pids_stats, blkio_stats, networks, read/preread) from the container's cgroup files, read
// directly. Streaming sends a sample a second; stream=false waits one interval so the
// precpu fields are filled (what `docker stats --no-stream` needs for CPU %); one-shot
// answers at once with empty precpu.
import { readFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import type { Container } from '../../containers/store.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import type { BlkioEntry, CgroupSample } from './ports.ts';
import { sharesHostNetwork } from './network-mode.ts';
import type { BlkioStatEntry, ContainerStatsResponse, CPUStats, NetworkStats } from '../../api/types/containers.ts';

const INTERVAL_MS = 1000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface StatsOptions {
  stream: boolean;
  oneShot: boolean;
}

export type StatsDeps = Pick<ContainerDeps, 'store' | 'live' | 'runtime'>;

const emptyCpu = (): CPUStats => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

/** Host CPU time in ns: the first line of /proc/stat (user … softirq), as Docker sums it. */
export function systemCpuFromProcStat(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((n, v) => n + Number(v), 0);
  return ticks * 10_000_000;
}

/** /proc/<pid>/net/dev → Docker's networks map (loopback left out). */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name === 'lo') continue;
    const f = line
      .slice(i + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    out[name] = {
      rx_bytes: f[0],
      rx_packets: f[1],
      rx_errors: f[2],
      rx_dropped: f[3],
      tx_bytes: f[8],
      tx_packets: f[9],
      tx_errors: f[10],
      tx_dropped: f[11],
    };
  }
  return out;
}

const blkio = (e: BlkioEntry[]): BlkioStatEntry[] | null =>
  e.length ? e.map((x) => ({ major: x.major, minor: x.minor, op: x.op, value: x.value })) : null;

function cpuOf(s: CgroupSample, system: number): CPUStats {
  return {
    cpu_usage: {
      total_usage: s.cpu.total,
      ...(s.cpu.percpu.length ? { percpu_usage: s.cpu.percpu } : {}),
      usage_in_kernelmode: s.cpu.system,
      usage_in_usermode: s.cpu.user,
    },
    system_cpu_usage: system,
    online_cpus: s.cpu.percpu.filter((v) => v > 0).length || availableParallelism(),
    throttling_data: {
      periods: s.cpu.periods,
      throttled_periods: s.cpu.throttledPeriods,
      throttled_time: s.cpu.throttledTime,
    },
  };
}

/** The sample's parts besides times, CPU and names. */
type SampleBody = Omit<ContainerStatsResponse, 'read' | 'preread' | 'cpu_stats' | 'precpu_stats' | 'name' | 'id'>;

interface Sample {
  read: string;
  cpu: CPUStats;
  body: SampleBody;
}

async function sample(deps: StatsDeps, c: Container): Promise<Sample | undefined> {
  const live = deps.live.get(c.record.id);
  if (!live.task) return undefined;
  const [s, procStat, netDev] = await Promise.all([
    deps.runtime.cgroupStats(c.record.id),
    readFile('/proc/stat', 'utf8').catch(() => ''),
    sharesHostNetwork(c.record.hostConfig.NetworkMode)
      ? undefined
      : readFile(`/proc/${live.task.pid}/net/dev`, 'utf8').catch(() => undefined),
  ]);
  if (!s) return undefined;
  const cpu = cpuOf(s, systemCpuFromProcStat(procStat));
  const networks = netDev ? parseNetDev(netDev) : {};
  return {
    read: new Date().toISOString(),
    cpu,
    body: {
      pids_stats: { current: s.pids.current, ...(s.pids.limit ? { limit: s.pids.limit } : {}) },
      blkio_stats: {
        io_service_bytes_recursive: blkio(s.blkio.serviceBytes),
        io_serviced_recursive: blkio(s.blkio.serviced),
        io_queue_recursive: null,
        io_service_time_recursive: null,
        io_wait_time_recursive: null,
        io_merged_recursive: null,
        io_time_recursive: null,
        sectors_recursive: null,
      },
      num_procs: 0,
      storage_stats: {},
      memory_stats: {
        usage: s.memory.usage,
        ...(s.memory.maxUsage ? { max_usage: s.memory.maxUsage } : {}),
        stats: s.memory.stats,
        limit: Number.isFinite(s.memory.limit) ? s.memory.limit : totalmem(),
      },
      ...(Object.keys(networks).length ? { networks } : {}),
    },
  };
}

function shape(c: Container, cur: Sample | undefined, prev: Sample | undefined): ContainerStatsResponse {
  const empty: SampleBody = {
    pids_stats: {},
    num_procs: 0,
    storage_stats: {},
    memory_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
  };
  return {
    read: cur?.read ?? ZERO_TIME,
    preread: prev?.read ?? ZERO_TIME,
    ...(cur?.body ?? empty),
    cpu_stats: cur?.cpu ?? emptyCpu(),
    precpu_stats: prev?.cpu ?? emptyCpu(),
    name: `/${c.record.name}`,
    id: c.record.id,
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Resolves the container at once (404 before any byte is sent), then yields samples until `ctx.signal` aborts. */
export function containerStats(
  deps: StatsDeps,
  ctx: OpContext,
  idOrName: string,
  o: StatsOptions,
): AsyncIterable<ContainerStatsResponse> {
  const c = deps.store.resolve(idOrName);
  const signal = ctx.signal;
  return (async function* () {
    let prev: Sample | undefined;
    if (!o.stream && !o.oneShot) {
      prev = await sample(deps, c);
      if (prev) await sleep(INTERVAL_MS, signal);
    }
    for (;;) {
      if (signal.aborted) return;
      const cur = await sample(deps, c);
      yield shape(c, cur, prev);
      if (!o.stream) return;
      prev = cur;
      await sleep(INTERVAL_MS, signal);
    }
  })();
}
