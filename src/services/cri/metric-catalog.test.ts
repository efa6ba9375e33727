import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as cri from '../../cri-types/api.ts';
import type { CgroupSample } from '../containers/ports.ts';
import {
  containerMetrics,
  metricDescriptors,
  networkMetrics,
  type ContainerReading,
  type Subject,
} from './metric-catalog.ts';

const subject: Subject = {
  container: 'web',
  id: 'c1',
  image: 'busybox',
  name: 'k8s_web_p_ns_u_0',
  namespace: 'ns',
  pod: 'p',
};
const at = 1_700_000_000_123_456_789n;

const v1Sample = (): CgroupSample => ({
  cpu: {
    total: 2_900_000_000,
    user: 2_000_000_000,
    system: 900_000_000,
    percpu: [],
    periods: 10,
    throttledPeriods: 4,
    throttledTime: 1_500_000_000,
  },
  memory: {
    usage: 50 << 20,
    maxUsage: 60 << 20,
    limit: 96 << 20,
    stats: {
      cache: 1,
      total_cache: 30 << 20,
      total_rss: 12 << 20,
      total_mapped_file: 4096,
      total_inactive_file: 10 << 20,
      pgfault: 100,
      total_pgfault: 150,
      pgmajfault: 2,
      total_pgmajfault: 3,
    },
    failcnt: 7,
    kernel: 8192,
    swap: 0,
    oomKills: 1,
  },
  pids: { current: 5, limit: 0 },
  blkio: {
    serviceBytes: [
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
    ],
    serviced: [
      { major: 8, minor: 0, op: 'Read', value: 1 },
      { major: 8, minor: 0, op: 'Write', value: 2 },
    ],
  },
  settings: {
    cpuShares: 1024,
    cpuPeriod: 100000,
    cpuQuota: Infinity,
    memoryReservation: Infinity,
    memorySwap: 200 << 20,
  },
  procs: [10, 11],
});

const reading = (sample = v1Sample()): ContainerReading => ({
  at,
  sample,
  startedAt: 1_699_999_000_500,
  files: { descriptors: 9, sockets: 2 },
  fs: { device: '/dev/vda', usedBytes: 4096, capacityBytes: 1 << 30, inodes: 1000, inodesFree: 400 },
  devices: { '8:0': '/dev/sda' },
});

function pick(ms: cri.Metric[], name: string, extra: string[] = []): cri.Metric | undefined {
  return ms.find((m) => m.name === name && extra.every((v, i) => m.label_values?.[6 + i] === v));
}
const val = (ms: cri.Metric[], name: string, extra: string[] = []) => pick(ms, name, extra)?.value?.value;

test('every metric is described, and its label values pair with the descriptor keys', () => {
  const descs = new Map(metricDescriptors().map((d) => [d.name, d]));
  const ms = [
    ...containerMetrics(subject, reading()),
    ...networkMetrics(subject, at, {
      eth0: {
        rx_bytes: 1,
        rx_packets: 1,
        rx_errors: 0,
        rx_dropped: 0,
        tx_bytes: 2,
        tx_packets: 1,
        tx_errors: 0,
        tx_dropped: 0,
      },
    }),
  ];
  for (const m of ms) {
    const d = descs.get(m.name!);
    assert.ok(d, m.name);
    assert.equal(m.label_values?.length, d.label_keys?.length, m.name);
    assert.deepEqual(m.label_values?.slice(0, 6), ['web', 'c1', 'busybox', 'k8s_web_p_ns_u_0', 'ns', 'p']);
    assert.equal(m.timestamp, String(at));
    assert.equal(
      m.metric_type,
      /_total$|_failcnt$/.test(m.name!) && m.name !== 'container_fs_inodes_total' ? 'COUNTER' : 'GAUGE',
    );
  }
  // A full v1 reading serves every descriptor but the quota (none set) and the network (the pod's).
  const served = new Set(ms.map((m) => m.name));
  assert.deepEqual(
    [...descs.keys()].filter((n) => !served.has(n)),
    ['container_spec_cpu_quota'],
  );
});

test('units: whole seconds, bytes, µs; no limit is 0; v1 hierarchical figures', () => {
  const ms = containerMetrics(subject, reading());
  assert.equal(val(ms, 'container_cpu_usage_seconds_total'), '2');
  assert.equal(val(ms, 'container_cpu_user_seconds_total'), '2');
  assert.equal(val(ms, 'container_cpu_system_seconds_total'), '0');
  assert.equal(val(ms, 'container_cpu_cfs_throttled_seconds_total'), '1');
  assert.equal(val(ms, 'container_memory_working_set_bytes'), String(40 << 20));
  assert.equal(val(ms, 'container_memory_cache'), String(30 << 20));
  assert.equal(val(ms, 'container_memory_rss'), String(12 << 20));
  assert.equal(val(ms, 'container_spec_memory_limit_bytes'), String(96 << 20));
  assert.equal(val(ms, 'container_spec_memory_reservation_limit_bytes'), '0');
  assert.equal(val(ms, 'container_spec_memory_swap_limit_bytes'), String(200 << 20));
  assert.equal(val(ms, 'container_spec_cpu_period'), '100000');
  assert.equal(val(ms, 'container_memory_failures_total', ['pgfault', 'container']), '100');
  assert.equal(val(ms, 'container_memory_failures_total', ['pgfault', 'hierarchy']), '150');
  assert.equal(val(ms, 'container_fs_reads_bytes_total', ['/dev/sda']), '4096');
  assert.equal(val(ms, 'container_fs_writes_total', ['/dev/sda']), '2');
  assert.equal(val(ms, 'container_blkio_device_usage_total', ['/dev/sda', '8', '0', 'Write']), '8192');
  assert.equal(val(ms, 'container_start_time_seconds'), '1699999000');
  assert.equal(val(ms, 'container_last_seen'), '1700000000');
  assert.equal(val(ms, 'container_processes'), '2');
  assert.equal(val(ms, 'container_threads'), '5');
});

test('what the host does not keep is left out, not sent as 0', () => {
  const s = v1Sample();
  s.memory = { usage: 1, maxUsage: 0, limit: Infinity, stats: { anon: 1, file: 0, file_mapped: 0, pgfault: 3 } };
  s.settings = { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 50000 };
  const ms = containerMetrics(subject, { at, sample: s });
  for (const gone of [
    'container_memory_swap',
    'container_memory_kernel_usage',
    'container_memory_max_usage_bytes',
    'container_memory_failcnt',
    'container_oom_events_total',
    'container_spec_memory_swap_limit_bytes',
    'container_file_descriptors',
    'container_fs_usage_bytes',
    'container_start_time_seconds',
  ])
    assert.equal(pick(ms, gone), undefined, gone);
  assert.equal(val(ms, 'container_spec_memory_limit_bytes'), '0');
  assert.equal(val(ms, 'container_spec_cpu_quota'), '50000');
  // v2: one figure serves both scopes.
  assert.equal(val(ms, 'container_memory_failures_total', ['pgfault', 'hierarchy']), '3');
});

test('network: one series per interface, lo left out', () => {
  const n = {
    rx_bytes: 10,
    rx_packets: 2,
    rx_errors: 1,
    rx_dropped: 3,
    tx_bytes: 20,
    tx_packets: 4,
    tx_errors: 0,
    tx_dropped: 5,
  };
  const ms = networkMetrics({ ...subject, container: 'POD' }, at, { lo: n, eth0: n, net1: n });
  assert.equal(ms.length, 16);
  assert.equal(val(ms, 'container_network_receive_packets_dropped_total', ['net1']), '3');
  assert.equal(val(ms, 'container_network_transmit_packets_dropped_total', ['eth0']), '5');
  assert.equal(pick(ms, 'container_network_receive_bytes_total', ['lo']), undefined);
});
