// The metrics ListMetricDescriptors announces and ListPodSandboxMetrics fills, under the
// names and labels cAdvisor gives them on kubelet's /metrics/cadvisor (with the
// PodAndContainerStatsFromCRI gate that endpoint is built from these RPCs, so dashboards,
// alerts and recording rules keep working). kubelet reads the descriptors once, at start,
// and drops a metric whose name it has not seen or whose label values do not pair one to
// one with the descriptor's label keys: the catalog below is fixed, and every metric is
// built from it. Only what Berth measures is listed; a value the host does not keep (no swap
// accounting, no kernel memory counter) is left out rather than sent as 0.
// Values are UInt64: seconds are whole seconds (cAdvisor's float seconds, truncated), CPU
// period and quota µs, memory and file system bytes; "no limit" is 0, as cAdvisor shows it.
import type * as cri from '../../cri-types/api.ts';
import type { NetworkStats } from '../../api/types/containers.ts';
import type { BlkioEntry, CgroupSample } from '../containers/ports.ts';

/** cAdvisor's labels for a container, in its order. */
export const BASE_LABELS = ['container', 'id', 'image', 'name', 'namespace', 'pod'] as const;

/** Who a metric is about: a pod's container, or its infra (container "POD", as cAdvisor names it). */
export type Subject = Record<(typeof BASE_LABELS)[number], string>;

interface Entry {
  help: string;
  type: cri.MetricType;
  /** Label keys after the base ones. */
  extra?: string[];
}

const counter = (help: string, extra?: string[]): Entry => ({ help, type: 'COUNTER', extra });
const gauge = (help: string, extra?: string[]): Entry => ({ help, type: 'GAUGE', extra });
const NET = ['interface'];
const DEV = ['device'];

const CATALOG = {
  container_cpu_usage_seconds_total: counter('Cumulative cpu time consumed in seconds.'),
  container_cpu_user_seconds_total: counter('Cumulative user cpu time consumed in seconds.'),
  container_cpu_system_seconds_total: counter('Cumulative system cpu time consumed in seconds.'),
  container_cpu_cfs_periods_total: counter('Number of elapsed enforcement period intervals.'),
  container_cpu_cfs_throttled_periods_total: counter('Number of throttled period intervals.'),
  container_cpu_cfs_throttled_seconds_total: counter('Total time duration the container has been throttled.'),
  container_memory_usage_bytes: gauge(
    'Current memory usage in bytes, including all memory regardless of when it was accessed.',
  ),
  container_memory_working_set_bytes: gauge('Current working set in bytes.'),
  container_memory_rss: gauge('Size of RSS in bytes.'),
  container_memory_cache: gauge('Number of bytes of page cache memory.'),
  container_memory_mapped_file: gauge('Size of memory mapped files in bytes.'),
  container_memory_swap: gauge('Container swap usage in bytes.'),
  container_memory_kernel_usage: gauge('Size of kernel memory allocated in bytes.'),
  container_memory_max_usage_bytes: gauge('Maximum memory usage recorded in bytes.'),
  container_memory_failcnt: counter('Number of memory usage hits limits.'),
  container_memory_failures_total: counter('Cumulative count of memory allocation failures.', [
    'failure_type',
    'scope',
  ]),
  container_oom_events_total: counter('Count of out of memory events observed for the container.'),
  container_spec_cpu_shares: gauge('CPU share of the container.'),
  container_spec_cpu_period: gauge('CPU period of the container.'),
  container_spec_cpu_quota: gauge('CPU quota of the container.'),
  container_spec_memory_limit_bytes: gauge('Memory limit for the container.'),
  container_spec_memory_reservation_limit_bytes: gauge('Memory reservation limit for the container.'),
  container_spec_memory_swap_limit_bytes: gauge('Memory swap limit for the container.'),
  container_processes: gauge('Number of processes running inside the container.'),
  container_threads: gauge('Number of threads running inside the container.'),
  container_threads_max: gauge('Maximum number of threads allowed inside the container, infinity if value is zero.'),
  container_file_descriptors: gauge('Number of open file descriptors for the container.'),
  container_sockets: gauge('Number of open sockets for the container.'),
  container_fs_usage_bytes: gauge(
    "Number of bytes consumed by the container's writable layer on this filesystem.",
    DEV,
  ),
  container_fs_limit_bytes: gauge('Number of bytes that can be consumed by the container on this filesystem.', DEV),
  container_fs_inodes_total: gauge('Number of inodes of the filesystem.', DEV),
  container_fs_inodes_free: gauge('Number of available inodes.', DEV),
  container_fs_reads_bytes_total: counter('Cumulative count of bytes read.', DEV),
  container_fs_reads_total: counter('Cumulative count of reads completed.', DEV),
  container_fs_writes_bytes_total: counter('Cumulative count of bytes written.', DEV),
  container_fs_writes_total: counter('Cumulative count of writes completed.', DEV),
  container_blkio_device_usage_total: counter('Blkio device bytes usage.', ['device', 'major', 'minor', 'operation']),
  container_start_time_seconds: gauge('Start time of the container since unix epoch in seconds.'),
  container_last_seen: gauge('Last time a container was seen by the exporter.'),
  container_network_receive_bytes_total: counter('Cumulative count of bytes received.', NET),
  container_network_receive_packets_total: counter('Cumulative count of packets received.', NET),
  container_network_receive_packets_dropped_total: counter('Cumulative count of packets dropped while receiving.', NET),
  container_network_receive_errors_total: counter('Cumulative count of errors encountered while receiving.', NET),
  container_network_transmit_bytes_total: counter('Cumulative count of bytes transmitted.', NET),
  container_network_transmit_packets_total: counter('Cumulative count of packets transmitted.', NET),
  container_network_transmit_packets_dropped_total: counter(
    'Cumulative count of packets dropped while transmitting.',
    NET,
  ),
  container_network_transmit_errors_total: counter('Cumulative count of errors encountered while transmitting.', NET),
} satisfies Record<string, Entry>;

export type MetricName = keyof typeof CATALOG;

export function metricDescriptors(): cri.MetricDescriptor[] {
  return Object.entries(CATALOG).map(([name, e]: [string, Entry]) => ({
    name,
    help: e.help,
    label_keys: [...BASE_LABELS, ...(e.extra ?? [])],
  }));
}

/** What was read of one running container (or a pod's infra) at `at` (ns since the epoch). */
export interface ContainerReading {
  at: bigint;
  sample: CgroupSample;
  /** ms since the epoch. */
  startedAt?: number;
  /** Open descriptors and sockets summed over the cgroup's processes. */
  files?: { descriptors: number; sockets: number };
  /** The writable layer: its size, and the filesystem that holds it. */
  fs?: { device: string; usedBytes: number; capacityBytes: number; inodes: number; inodesFree: number };
  /** "major:minor" → device name, for the block I/O counters. */
  devices?: Record<string, string>;
}

const seconds = (ns: number | bigint) => (typeof ns === 'bigint' ? ns / 1_000_000_000n : Math.floor(ns / 1e9));
/** A limit as cAdvisor shows it: 0 for none. */
const limit = (v: number) => (Number.isFinite(v) ? v : 0);

class Builder {
  readonly out: cri.Metric[] = [];
  private readonly subject: Subject;
  private readonly at: bigint;
  constructor(subject: Subject, at: bigint) {
    this.subject = subject;
    this.at = at;
  }

  add(name: MetricName, value: number | bigint | undefined, extra: string[] = []): void {
    if (value === undefined) return;
    const e: Entry = CATALOG[name];
    if (extra.length !== (e.extra?.length ?? 0)) throw new Error(`${name}: ${extra.length} extra label values`);
    const v = typeof value === 'bigint' ? value : BigInt(Math.max(0, Math.floor(value)));
    this.out.push({
      name,
      timestamp: String(this.at),
      metric_type: e.type,
      label_values: [...BASE_LABELS.map((k) => this.subject[k]), ...extra],
      value: { value: String(v) },
    });
  }
}

/** kubelet's and cAdvisor's working set: usage less the inactive file pages it could reclaim. */
export function workingSetBytes(s: CgroupSample): number {
  return Math.max(0, s.memory.usage - (stat(s.memory.stats, 'inactive_file', 'inactive_file') ?? 0));
}

/** cgroup v1 names the hierarchical figures total_*, v2's are hierarchical already. */
const stat = (st: Record<string, number>, v1: string, v2: string): number | undefined =>
  st[`total_${v1}`] ?? st[v1] ?? st[v2];

function blkioByDevice(entries: BlkioEntry[], op: 'read' | 'write'): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries)
    if (e.op.toLowerCase() === op) out.set(`${e.major}:${e.minor}`, (out.get(`${e.major}:${e.minor}`) ?? 0) + e.value);
  return out;
}

/** A running container's metrics, from its cgroup sample and what was read beside it. */
export function containerMetrics(subject: Subject, r: ContainerReading): cri.Metric[] {
  const b = new Builder(subject, r.at);
  const { cpu, memory: m, pids } = r.sample;
  const st = m.stats;
  b.add('container_cpu_usage_seconds_total', seconds(cpu.total));
  b.add('container_cpu_user_seconds_total', seconds(cpu.user));
  b.add('container_cpu_system_seconds_total', seconds(cpu.system));
  b.add('container_cpu_cfs_periods_total', cpu.periods);
  b.add('container_cpu_cfs_throttled_periods_total', cpu.throttledPeriods);
  b.add('container_cpu_cfs_throttled_seconds_total', seconds(cpu.throttledTime));

  b.add('container_memory_usage_bytes', m.usage);
  b.add('container_memory_working_set_bytes', workingSetBytes(r.sample));
  b.add('container_memory_rss', stat(st, 'rss', 'anon'));
  b.add('container_memory_cache', stat(st, 'cache', 'file'));
  b.add('container_memory_mapped_file', stat(st, 'mapped_file', 'file_mapped'));
  b.add('container_memory_swap', m.swap);
  b.add('container_memory_kernel_usage', m.kernel);
  // v2 keeps a peak only from Linux 5.19 (memory.peak); 0 there means "not kept".
  b.add('container_memory_max_usage_bytes', m.maxUsage || undefined);
  b.add('container_memory_failcnt', m.failcnt);
  // The container's own faults, and its cgroup subtree's (the same on v2, whose figures are hierarchical).
  for (const type of ['pgfault', 'pgmajfault']) {
    b.add('container_memory_failures_total', st[type], [type, 'container']);
    b.add('container_memory_failures_total', st[`total_${type}`] ?? st[type], [type, 'hierarchy']);
  }
  b.add('container_oom_events_total', m.oomKills);

  const set = r.sample.settings ?? {};
  b.add('container_spec_cpu_shares', set.cpuShares);
  b.add('container_spec_cpu_period', set.cpuPeriod);
  // cAdvisor shows a quota only when one is set.
  if (set.cpuQuota !== undefined && Number.isFinite(set.cpuQuota) && set.cpuQuota > 0)
    b.add('container_spec_cpu_quota', set.cpuQuota);
  b.add('container_spec_memory_limit_bytes', limit(m.limit));
  b.add(
    'container_spec_memory_reservation_limit_bytes',
    set.memoryReservation === undefined ? undefined : limit(set.memoryReservation),
  );
  b.add('container_spec_memory_swap_limit_bytes', set.memorySwap === undefined ? undefined : limit(set.memorySwap));

  b.add('container_processes', r.sample.procs?.length);
  // pids.current counts tasks: every thread of every process.
  b.add('container_threads', pids.current);
  b.add('container_threads_max', pids.limit);
  b.add('container_file_descriptors', r.files?.descriptors);
  b.add('container_sockets', r.files?.sockets);

  if (r.fs) {
    const dev = [r.fs.device];
    b.add('container_fs_usage_bytes', r.fs.usedBytes, dev);
    b.add('container_fs_limit_bytes', r.fs.capacityBytes, dev);
    b.add('container_fs_inodes_total', r.fs.inodes, dev);
    b.add('container_fs_inodes_free', r.fs.inodesFree, dev);
  }
  const name = (key: string) => r.devices?.[key] ?? key;
  const io = r.sample.blkio;
  for (const [metric, entries, op] of [
    ['container_fs_reads_bytes_total', io.serviceBytes, 'read'],
    ['container_fs_reads_total', io.serviced, 'read'],
    ['container_fs_writes_bytes_total', io.serviceBytes, 'write'],
    ['container_fs_writes_total', io.serviced, 'write'],
  ] as const)
    for (const [key, v] of blkioByDevice(entries, op)) b.add(metric, v, [name(key)]);
  for (const e of io.serviceBytes)
    b.add('container_blkio_device_usage_total', e.value, [
      name(`${e.major}:${e.minor}`),
      String(e.major),
      String(e.minor),
      e.op,
    ]);

  if (r.startedAt !== undefined && r.startedAt > 0)
    b.add('container_start_time_seconds', Math.floor(r.startedAt / 1000));
  b.add('container_last_seen', seconds(r.at));
  return b.out;
}

/** A pod's network counters, per interface of its network namespace (lo left out, as cAdvisor does). */
export function networkMetrics(subject: Subject, at: bigint, interfaces: Record<string, NetworkStats>): cri.Metric[] {
  const b = new Builder(subject, at);
  for (const [iface, n] of Object.entries(interfaces)) {
    if (iface === 'lo') continue;
    b.add('container_network_receive_bytes_total', n.rx_bytes, [iface]);
    b.add('container_network_receive_packets_total', n.rx_packets, [iface]);
    b.add('container_network_receive_packets_dropped_total', n.rx_dropped, [iface]);
    b.add('container_network_receive_errors_total', n.rx_errors, [iface]);
    b.add('container_network_transmit_bytes_total', n.tx_bytes, [iface]);
    b.add('container_network_transmit_packets_total', n.tx_packets, [iface]);
    b.add('container_network_transmit_packets_dropped_total', n.tx_dropped, [iface]);
    b.add('container_network_transmit_errors_total', n.tx_errors, [iface]);
  }
  return b.out;
}
