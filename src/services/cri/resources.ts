// The CRI's LinuxContainerResources as the engine's HostConfig resource fields (what
// runtime/resources.ts puts in the spec and runc writes to the cgroup), and back for
// ContainerStatus. Zero means "not set" on both sides; what Berth cannot apply is refused.
import { notImplemented } from '../../common/errors.ts';
import type { HostConfig } from '../../api/types/containers.ts';
import type * as cri from '../../cri-types/api.ts';

export type ResourceFields = Pick<
  HostConfig,
  | 'CpuPeriod'
  | 'CpuQuota'
  | 'CpuShares'
  | 'Memory'
  | 'MemorySwap'
  | 'CpusetCpus'
  | 'CpusetMems'
  | 'OomScoreAdj'
  | 'Unified'
>;

export function hostConfigResources(r: cri.Decoded<cri.LinuxContainerResources> | null): ResourceFields {
  if (!r) return {};
  if (r.hugepage_limits.some((h) => Number(h.limit) > 0)) throw notImplemented('hugepage limits are not supported');
  const out: ResourceFields = {};
  if (Number(r.cpu_period)) out.CpuPeriod = Number(r.cpu_period);
  if (Number(r.cpu_quota)) out.CpuQuota = Number(r.cpu_quota);
  if (Number(r.cpu_shares)) out.CpuShares = Number(r.cpu_shares);
  if (Number(r.memory_limit_in_bytes)) out.Memory = Number(r.memory_limit_in_bytes);
  if (Number(r.memory_swap_limit_in_bytes)) out.MemorySwap = Number(r.memory_swap_limit_in_bytes);
  if (r.cpuset_cpus) out.CpusetCpus = r.cpuset_cpus;
  if (r.cpuset_mems) out.CpusetMems = r.cpuset_mems;
  if (Number(r.oom_score_adj)) out.OomScoreAdj = Number(r.oom_score_adj);
  // Checked by the engine (a v2 host, files its controllers offer), as docker update's fields are.
  if (Object.keys(r.unified).length) out.Unified = { ...r.unified };
  return out;
}

export function criResources(hc: HostConfig): cri.LinuxContainerResources {
  return {
    cpu_period: String(hc.CpuPeriod ?? 0),
    cpu_quota: String(hc.CpuQuota ?? 0),
    cpu_shares: String(hc.CpuShares ?? 0),
    memory_limit_in_bytes: String(hc.Memory ?? 0),
    memory_swap_limit_in_bytes: String(hc.MemorySwap ?? 0),
    oom_score_adj: String(hc.OomScoreAdj ?? 0),
    cpuset_cpus: hc.CpusetCpus ?? '',
    cpuset_mems: hc.CpusetMems ?? '',
    hugepage_limits: [],
    unified: { ...hc.Unified },
  };
}
