// Reads a container's resource usage straight from its cgroup files, v1 (one hierarchy per
// controller, as on this project's hybrid hosts) or v2 (unified). Values are in bytes,
// nanoseconds and counts, in the shape services/containers/stats.ts turns into Docker's.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface CgroupSample {
  cpu: {
    total: number;
    user: number;
    system: number;
    percpu: number[];
    periods: number;
    throttledPeriods: number;
    throttledTime: number;
  };
  memory: {
    usage: number;
    maxUsage: number;
    limit: number;
    stats: Record<string, number>;
    /** Times usage hit the limit (v1 memory.failcnt, v2 memory.events `max`). */
    failcnt?: number;
    /** Kernel memory charged (v1 memory.kmem.usage_in_bytes, v2 memory.stat `kernel`). */
    kernel?: number;
    /** Swap in use (v1 with swap accounting: memory.stat `total_swap`; v2 memory.swap.current). */
    swap?: number;
    /** Processes the OOM killer killed (v1 memory.oom_control, v2 memory.events `oom_kill`). */
    oomKills?: number;
  };
  pids: { current: number; limit: number };
  blkio: { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] };
  /** What the cgroup is set to (Infinity: no limit); a field the host does not keep is absent. */
  settings?: CgroupSettings;
  /** The cgroup's processes (cgroup.procs), host PIDs. */
  procs?: number[];
}

export interface CgroupSettings {
  /** v1 cpu.shares; v2 cpu.weight turned back into shares as runc maps them. */
  cpuShares?: number;
  /** The CFS period and quota, µs (v1 cpu.cfs_period_us/cfs_quota_us, v2 cpu.max). */
  cpuPeriod?: number;
  cpuQuota?: number;
  /** v1 memory.soft_limit_in_bytes, v2 memory.low. */
  memoryReservation?: number;
  /** v1 memory.memsw.limit_in_bytes (memory plus swap), v2 memory.swap.max. */
  memorySwap?: number;
}

const ROOT = '/sys/fs/cgroup';
/** The kernel's "no limit" for v1 memory (a page-rounded int64 max). */
const V1_UNLIMITED = 0x7ffffffffffff000;
const TICK_NS = 10_000_000; // USER_HZ is 100 on Linux

const text = (p: string) => readFile(p, 'utf8').catch(() => undefined);
const num = async (p: string): Promise<number | undefined> => {
  const t = await text(p);
  if (t === undefined) return undefined;
  const v = t.trim();
  return v === 'max' ? Infinity : Number(v);
};

/** v1's "no limit" values (a page-rounded int64 max, or -1) as Infinity. */
const v1Limit = (v: number | undefined) => (v === undefined ? undefined : v >= V1_UNLIMITED || v < 0 ? Infinity : v);

/** cgroup.procs: one PID a line. */
const pidsOf = (t: string | undefined) => (t === undefined ? undefined : t.split('\n').filter(Boolean).map(Number));

/** cpu.weight (1-10000) back to cpu.shares (2-262144), as cAdvisor inverts runc's mapping. */
export const weightToShares = (w: number) => 2 + Math.floor(((w - 1) * 262142) / 9999);

/** "key value" lines → record. */
export function parseFlatKeyed(t: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (t ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** v1 blkio files: "8:0 Read 4096" lines (the "Total" lines are dropped, as Docker does). */
export function parseBlkioV1(t: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (t ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 …" → Docker's v1-like entries. */
export function parseIoStatV2(t: string | undefined): { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] } {
  const serviceBytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of (t ?? '').split('\n')) {
    const [dev, ...kv] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const f = Object.fromEntries(kv.map((x) => x.split('=')).map(([k, v]) => [k, Number(v)]));
    const base = { major: Number(m[1]), minor: Number(m[2]) };
    serviceBytes.push({ ...base, op: 'read', value: f.rbytes ?? 0 }, { ...base, op: 'write', value: f.wbytes ?? 0 });
    serviced.push({ ...base, op: 'read', value: f.rios ?? 0 }, { ...base, op: 'write', value: f.wios ?? 0 });
  }
  return { serviceBytes, serviced };
}

let unified: boolean | undefined;
async function isUnified(): Promise<boolean> {
  unified ??= (await text(join(ROOT, 'cgroup.controllers'))) !== undefined;
  return unified;
}

/**
 * How many processes the kernel's OOM killer killed in the cgroup (v1 memory.oom_control,
 * v2 memory.events `oom_kill`); 0 when the cgroup or the counter is gone.
 */
export async function oomKills(cgroupsPath: string): Promise<number> {
  const file = (await isUnified())
    ? join(ROOT, cgroupsPath, 'memory.events')
    : join(ROOT, 'memory', cgroupsPath, 'memory.oom_control');
  return parseFlatKeyed(await text(file)).oom_kill ?? 0;
}

/**
 * `detail` adds the counters, settings and process list (memory failcnt, kernel, swap, OOM
 * kills; `settings`; `procs`) that only the CRI's metrics show: the files are read then
 * only, in the same round as the rest, so `docker stats` and the CRI's stats never pay for them.
 */
export interface ReadOptions {
  detail?: boolean;
}

/** Reads the cgroup at `cgroupsPath` (the spec's linux.cgroupsPath); undefined if it is gone. */
export async function readCgroup(cgroupsPath: string, opts: ReadOptions = {}): Promise<CgroupSample | undefined> {
  return (await isUnified()) ? readV2(join(ROOT, cgroupsPath), opts) : readV1(cgroupsPath, opts);
}

async function readV1(path: string, opts: ReadOptions): Promise<CgroupSample | undefined> {
  const d = (ctl: string, f: string) => join(ROOT, ctl, path, f);
  const detail = opts.detail
    ? Promise.all([
        num(d('memory', 'memory.failcnt')),
        num(d('memory', 'memory.kmem.usage_in_bytes')),
        text(d('memory', 'memory.oom_control')),
        num(d('cpu', 'cpu.shares')),
        num(d('cpu', 'cpu.cfs_period_us')),
        num(d('cpu', 'cpu.cfs_quota_us')),
        num(d('memory', 'memory.soft_limit_in_bytes')),
        num(d('memory', 'memory.memsw.limit_in_bytes')),
        text(d('pids', 'cgroup.procs')).then((t) => t ?? text(d('memory', 'cgroup.procs'))),
      ])
    : undefined;
  const [total, percpu, cpuacct, cpuStat, usage, maxUsage, limit, memStat, pidsCur, pidsMax, bytes, ios] =
    await Promise.all([
      num(d('cpuacct', 'cpuacct.usage')),
      text(d('cpuacct', 'cpuacct.usage_percpu')),
      text(d('cpuacct', 'cpuacct.stat')),
      text(d('cpu', 'cpu.stat')),
      num(d('memory', 'memory.usage_in_bytes')),
      num(d('memory', 'memory.max_usage_in_bytes')),
      num(d('memory', 'memory.limit_in_bytes')),
      text(d('memory', 'memory.stat')),
      num(d('pids', 'pids.current')),
      num(d('pids', 'pids.max')),
      text(d('blkio', 'blkio.throttle.io_service_bytes')),
      text(d('blkio', 'blkio.throttle.io_serviced')),
    ]);
  // The detail reads never reject (text and num answer undefined): nothing is left dangling.
  if (total === undefined && usage === undefined) return undefined;
  const [failcnt, kmem, oomControl, shares, period, quota, soft, memsw, procs] = (await detail) ?? [];
  const ticks = parseFlatKeyed(cpuacct);
  const cs = parseFlatKeyed(cpuStat);
  const ms = parseFlatKeyed(memStat);
  return {
    cpu: {
      total: total ?? 0,
      user: (ticks.user ?? 0) * TICK_NS,
      system: (ticks.system ?? 0) * TICK_NS,
      percpu: (percpu ?? '').trim().split(/\s+/).filter(Boolean).map(Number),
      periods: cs.nr_periods ?? 0,
      throttledPeriods: cs.nr_throttled ?? 0,
      throttledTime: cs.throttled_time ?? 0,
    },
    memory: {
      usage: usage ?? 0,
      maxUsage: maxUsage ?? 0,
      limit: limit === undefined || limit >= V1_UNLIMITED ? Infinity : limit,
      stats: ms,
      failcnt,
      kernel: kmem,
      // memory.stat carries swap only when the kernel accounts it (swapaccount=1).
      swap: ms.total_swap ?? ms.swap,
      oomKills: oomControl === undefined ? undefined : (parseFlatKeyed(oomControl).oom_kill ?? 0),
    },
    pids: { current: pidsCur ?? 0, limit: pidsMax === undefined || pidsMax === Infinity ? 0 : pidsMax },
    blkio: { serviceBytes: parseBlkioV1(bytes), serviced: parseBlkioV1(ios) },
    ...(opts.detail && {
      settings: {
        cpuShares: shares,
        cpuPeriod: period,
        cpuQuota: v1Limit(quota),
        memoryReservation: v1Limit(soft),
        memorySwap: v1Limit(memsw),
      },
      procs: pidsOf(procs),
    }),
  };
}

/** A v2 cgroup directory's usage (exported for tests that mount a cgroup2 hierarchy of their own). */
export async function readV2(dir: string, opts: ReadOptions = {}): Promise<CgroupSample | undefined> {
  const detail = opts.detail
    ? Promise.all([
        text(join(dir, 'memory.events')),
        num(join(dir, 'memory.swap.current')),
        num(join(dir, 'cpu.weight')),
        text(join(dir, 'cpu.max')),
        num(join(dir, 'memory.low')),
        num(join(dir, 'memory.swap.max')),
        text(join(dir, 'cgroup.procs')),
      ])
    : undefined;
  const [cpuStat, usage, peak, max, memStat, pidsCur, pidsMax, io] = await Promise.all([
    text(join(dir, 'cpu.stat')),
    num(join(dir, 'memory.current')),
    num(join(dir, 'memory.peak')),
    num(join(dir, 'memory.max')),
    text(join(dir, 'memory.stat')),
    num(join(dir, 'pids.current')),
    num(join(dir, 'pids.max')),
    text(join(dir, 'io.stat')),
  ]);
  if (cpuStat === undefined) return undefined;
  const [events, swap, weight, cpuMax, low, swapMax, procs] = (await detail) ?? [];
  const cs = parseFlatKeyed(cpuStat);
  const ms = parseFlatKeyed(memStat);
  const ev = events === undefined ? undefined : parseFlatKeyed(events);
  // cpu.max: "<quota|max> <period>".
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/);
  return {
    cpu: {
      total: (cs.usage_usec ?? 0) * 1000,
      user: (cs.user_usec ?? 0) * 1000,
      system: (cs.system_usec ?? 0) * 1000,
      percpu: [],
      periods: cs.nr_periods ?? 0,
      throttledPeriods: cs.nr_throttled ?? 0,
      throttledTime: (cs.throttled_usec ?? 0) * 1000,
    },
    memory: {
      usage: usage ?? 0,
      maxUsage: peak ?? 0,
      limit: max ?? Infinity,
      stats: ms,
      failcnt: ev?.max,
      kernel: ms.kernel,
      swap,
      oomKills: ev?.oom_kill,
    },
    pids: { current: pidsCur ?? 0, limit: pidsMax === undefined || pidsMax === Infinity ? 0 : pidsMax },
    blkio: parseIoStatV2(io),
    ...(opts.detail && {
      settings: {
        cpuShares: weight === undefined ? undefined : weightToShares(weight),
        cpuPeriod: period ? Number(period) : undefined,
        cpuQuota: quota === 'max' ? Infinity : quota ? Number(quota) : undefined,
        memoryReservation: low,
        memorySwap: swapMax,
      },
      procs: pidsOf(procs),
    }),
  };
}
