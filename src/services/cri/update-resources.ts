// UpdateContainerResources: the new limits go into the container's record (so a restart
// keeps them, and ContainerStatus shows them) and, while it runs, into its cgroup through
// the shim (runc update). A value of 0 leaves that limit as it was, as runc does.
import { conflict } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import type { CriDeps } from './deps.ts';
import { hostConfigResources } from './resources.ts';

export async function updateContainerResources(
  deps: CriDeps,
  req: cri.Decoded<cri.UpdateContainerResourcesRequest>,
): Promise<cri.UpdateContainerResourcesResponse> {
  const c = resolveCriContainer(deps, req.container_id);
  if (req.windows) throw conflict('windows resources do not apply to a Linux container');
  const fields = hostConfigResources(req.linux ?? null);
  await deps.containers.locks.run(c.record.id, async () => {
    const st = c.runtime.state.Status;
    if (st === 'removing' || st === 'dead') throw conflict(`container ${c.record.id} is being removed`);
    const next = { ...c.record.hostConfig, ...fields };
    const task = deps.containers.live.peek(c.record.id)?.task;
    if (task) await task.updateResources(next);
    c.record.hostConfig = next;
    await deps.containers.store.saveRecord(c);
  });
  return {};
}
