// UpdateContainerResources: the engine's update (`docker update`: checked as create checks
// it, merged into the record so a restart keeps it, applied to the running cgroup through
// the shim). A value of 0 leaves that limit as it was, as runc does. oom_score_adj, which
// no running process can take, is kept for the container's next start (as containerd does).
import { conflict } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type * as cri from '../../cri-types/api.ts';
import { updateContainer } from '../containers/update.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import type { CriDeps } from './deps.ts';
import { hostConfigResources } from './resources.ts';

export async function updateContainerResources(
  deps: CriDeps,
  ctx: OpContext,
  req: cri.Decoded<cri.UpdateContainerResourcesRequest>,
): Promise<cri.UpdateContainerResourcesResponse> {
  const c = resolveCriContainer(deps, req.container_id);
  if (req.windows) throw conflict('windows resources do not apply to a Linux container');
  const { OomScoreAdj, ...fields } = hostConfigResources(req.linux ?? null);
  // The engine wants a new swap limit with a memory limit above the recorded one; the CRI
  // sends none when it leaves swap to the runtime: keep swap where it stands relative to memory.
  if (fields.Memory && !fields.MemorySwap) {
    const hc = c.record.hostConfig;
    const swap = hc.MemorySwap ?? 0;
    if (swap === -1) fields.MemorySwap = -1;
    else if (swap > 0 && (hc.Memory ?? 0) > 0 && fields.Memory > swap)
      fields.MemorySwap = fields.Memory + (swap - (hc.Memory ?? 0));
  }
  await updateContainer(deps.containers, ctx, c.record.id, fields);
  if (OomScoreAdj !== undefined && OomScoreAdj !== c.record.hostConfig.OomScoreAdj)
    await deps.containers.locks.run(c.record.id, async () => {
      c.record.hostConfig = { ...c.record.hostConfig, OomScoreAdj };
      await deps.containers.store.saveRecord(c);
    });
  return {};
}
