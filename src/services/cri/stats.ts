// ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats from the same
// cgroup files `docker stats` reads: CPU time (and cores in use, from the previous sample of
// the same container), memory (working set = usage minus inactive file pages, as kubelet and
// cAdvisor count it), the writable layer's size, and for a pod its network counters (the
// infra's /proc/<pid>/net/dev) and process count. Only running containers have cgroup stats.
import { readFile } from 'node:fs/promises';
import type { Container } from '../../containers/store.ts';
import type * as cri from '../../cri-types/api.ts';
import type { SandboxRecord } from '../../pods/store.ts';
import { parseNetDev } from '../containers/stats.ts';
import type { CgroupSample } from '../containers/ports.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import { criContainers } from './container-views.ts';
import type { CriDeps } from './deps.ts';
import { readCriMeta, SANDBOX_ID_LABEL } from './labels.ts';
import { podContainers } from './sandbox-stop.ts';
import { workingSetBytes } from './metric-catalog.ts';
import { upperOf } from '../containers/rootfs.ts';
import type { NetworkStats } from '../../api/types/containers.ts';

const u64 = (n: number | bigint): cri.UInt64Value => ({
  value: String(typeof n === 'bigint' ? n : Math.max(0, Math.round(n))),
});
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** The last CPU sample per container: cores in use are the change since it. */
const lastCpu = new Map<string, { at: bigint; total: number }>();

function cpuOf(id: string, s: CgroupSample, at: bigint): cri.CpuUsage {
  const prev = lastCpu.get(id);
  lastCpu.set(id, { at, total: s.cpu.total });
  const dt = prev ? Number(at - prev.at) : 0;
  return {
    timestamp: String(at),
    usage_core_nano_seconds: u64(s.cpu.total),
    // Cores × 1e9: CPU ns used per ns of wall time since the previous sample.
    usage_nano_cores: prev && dt > 0 && s.cpu.total >= prev.total ? u64(((s.cpu.total - prev.total) / dt) * 1e9) : null,
    psi: null,
  };
}

function memoryOf(s: CgroupSample, at: bigint): cri.MemoryUsage {
  const st = s.memory.stats;
  const workingSet = workingSetBytes(s);
  return {
    timestamp: String(at),
    working_set_bytes: u64(workingSet),
    available_bytes: Number.isFinite(s.memory.limit) ? u64(Math.max(0, s.memory.limit - workingSet)) : null,
    usage_bytes: u64(s.memory.usage),
    rss_bytes: u64(st.total_rss ?? st.rss ?? st.anon ?? 0),
    page_faults: u64(st.total_pgfault ?? st.pgfault ?? 0),
    major_page_faults: u64(st.total_pgmajfault ?? st.pgmajfault ?? 0),
    psi: null,
  };
}

/** A running (or paused) container's cgroup sample; none for the others. `detail`: see cgroupStats. */
export async function sampleOf(
  deps: CriDeps,
  c: Container,
  opts: { detail?: boolean } = {},
): Promise<CgroupSample | undefined> {
  if (c.runtime.state.Status !== 'running' && c.runtime.state.Status !== 'paused') return undefined;
  return deps.containers.runtime.cgroupStats(c.record.id, opts).catch(() => undefined);
}

export async function statsOf(deps: CriDeps, c: Container, sample?: CgroupSample): Promise<cri.ContainerStats> {
  const meta = readCriMeta(c.record.config.Labels)!;
  const s = sample ?? (await sampleOf(deps, c));
  const at = nowNs();
  const used = await deps.containers.layers.dirSize(upperOf(deps.containers, c)).catch(() => 0);
  return {
    attributes: { id: c.record.id, metadata: meta.metadata, labels: meta.labels, annotations: meta.annotations },
    cpu: s ? cpuOf(c.record.id, s, at) : null,
    memory: s ? memoryOf(s, at) : null,
    writable_layer: {
      timestamp: String(at),
      fs_id: { mountpoint: deps.containers.store.dir(c.record.id) },
      used_bytes: u64(used),
      inodes_used: null,
    },
    swap: null,
    io: null,
  };
}

export async function containerStats(
  deps: CriDeps,
  req: cri.Decoded<cri.ContainerStatsRequest>,
): Promise<cri.ContainerStatsResponse> {
  return { stats: await statsOf(deps, resolveCriContainer(deps, req.container_id)) };
}

function matchesStats(c: Container, f: cri.Decoded<cri.ContainerStatsFilter> | null): boolean {
  if (!f) return true;
  if (f.id && !c.record.id.startsWith(f.id)) return false;
  if (f.pod_sandbox_id && !(c.record.config.Labels?.[SANDBOX_ID_LABEL] ?? '').startsWith(f.pod_sandbox_id))
    return false;
  const labels = readCriMeta(c.record.config.Labels)?.labels ?? {};
  return Object.entries(f.label_selector).every(([k, v]) => labels[k] === v);
}

/** Running containers only (a created or exited one has no cgroup to read), as containerd lists them. */
export async function listContainerStats(
  deps: CriDeps,
  req: cri.Decoded<cri.ListContainerStatsRequest>,
): Promise<cri.ListContainerStatsResponse> {
  prune(deps);
  const picked = criContainers(deps).filter((c) => c.runtime.state.Status === 'running' && matchesStats(c, req.filter));
  return { stats: await Promise.all(picked.map((c) => statsOf(deps, c))) };
}

/** The pod's network counters per interface (its infra's /proc/<pid>/net/dev); none without a network. */
export async function podInterfaces(
  s: SandboxRecord,
  infra: Container | undefined,
): Promise<Record<string, NetworkStats> | undefined> {
  const pid = infra?.runtime.state.Status === 'running' ? infra.runtime.state.Pid : 0;
  if (!pid || !s.network || s.network.released) return undefined;
  return parseNetDev(await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => ''));
}

async function podStats(deps: CriDeps, s: SandboxRecord): Promise<cri.PodSandboxStats> {
  const infra = deps.containers.store.get(s.id);
  const members = podContainers(deps, s.id).filter((c) => readCriMeta(c.record.config.Labels));
  const samples = await Promise.all(members.map((c) => sampleOf(deps, c)));
  const infraSample = infra ? await sampleOf(deps, infra) : undefined;
  const all = [infraSample, ...samples].filter((x): x is CgroupSample => Boolean(x));
  const at = nowNs();
  let network: cri.NetworkUsage | null = null;
  const counters = await podInterfaces(s, infra);
  if (counters) {
    const ifaces = Object.entries(counters).map(([name, n]) => ({
      name,
      rx_bytes: u64(n.rx_bytes),
      rx_errors: u64(n.rx_errors),
      tx_bytes: u64(n.tx_bytes),
      tx_errors: u64(n.tx_errors),
    }));
    network = {
      timestamp: String(at),
      default_interface: ifaces.find((i) => i.name === 'eth0') ?? null,
      interfaces: ifaces,
    };
  }
  // The pod's own figures are its containers' (and its infra's) summed: without a pod
  // cgroup of ours, that is what the pod uses.
  const sum = (f: (x: CgroupSample) => number) => all.reduce((n, x) => n + f(x), 0);
  const total: CgroupSample | undefined = all.length
    ? {
        cpu: { ...all[0].cpu, total: sum((x) => x.cpu.total) },
        memory: {
          usage: sum((x) => x.memory.usage),
          maxUsage: 0,
          limit: Infinity,
          stats: Object.fromEntries(
            [
              'total_inactive_file',
              'inactive_file',
              'total_rss',
              'rss',
              'anon',
              'total_pgfault',
              'pgfault',
              'total_pgmajfault',
              'pgmajfault',
            ].map((k) => [k, sum((x) => x.memory.stats[k] ?? 0)]),
          ),
        },
        pids: { current: sum((x) => x.pids.current), limit: 0 },
        blkio: { serviceBytes: [], serviced: [] },
      }
    : undefined;
  const m = s.config.metadata!;
  return {
    attributes: { id: s.id, metadata: m, labels: s.config.labels, annotations: s.config.annotations },
    linux: {
      cpu: total ? cpuOf(`pod:${s.id}`, total, at) : null,
      memory: total ? memoryOf(total, at) : null,
      network,
      process: total ? { timestamp: String(at), process_count: u64(total.pids.current) } : null,
      containers: await Promise.all(members.map((c, i) => statsOf(deps, c, samples[i]))),
      io: null,
    },
    windows: null,
  };
}

export async function podSandboxStats(
  deps: CriDeps,
  req: cri.Decoded<cri.PodSandboxStatsRequest>,
): Promise<cri.PodSandboxStatsResponse> {
  return { stats: await podStats(deps, deps.sandboxes.resolve(req.pod_sandbox_id)) };
}

export async function listPodSandboxStats(
  deps: CriDeps,
  req: cri.Decoded<cri.ListPodSandboxStatsRequest>,
): Promise<cri.ListPodSandboxStatsResponse> {
  prune(deps);
  const f = req.filter;
  const picked = deps.sandboxes
    .list()
    .filter(
      (s) =>
        (!f?.id || s.id.startsWith(f.id)) &&
        Object.entries(f?.label_selector ?? {}).every(([k, v]) => s.config.labels[k] === v) &&
        deps.containers.store.get(s.id)?.runtime.state.Status === 'running',
    );
  return { stats: await Promise.all(picked.map((s) => podStats(deps, s))) };
}

/** Samples of containers and pods that are gone are dropped (on each listing). */
function prune(deps: CriDeps): void {
  for (const key of lastCpu.keys()) {
    const id = key.startsWith('pod:') ? key.slice(4) : key;
    if (!deps.containers.store.get(id)) lastCpu.delete(key);
  }
}
