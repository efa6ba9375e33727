// POST /containers/prune: removes stopped containers (filters until, label, label!).
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import { matchLabels, matchNotLabels, pruneUntil } from '../filters.ts';
import { removeContainer } from './remove.ts';
import { sizesOf } from './list.ts';
import type { ContainerPruneResponse } from '../../api/types/containers.ts';

export type PruneDeps = Pick<ContainerDeps, 'store' | 'images' | 'layers' | 'events' | 'supervisor' | 'removalGuards'>;

/** A client that hangs up stops the prune between two removals (each is whole). */
export async function pruneContainers(
  deps: PruneDeps,
  ctx: OpContext,
  filters: Map<string, string[]>,
): Promise<ContainerPruneResponse> {
  const until = pruneUntil(filters, ['until', 'label', 'label!']);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const c of deps.store.list()) {
    if (ctx.signal.aborted) break;
    if (!['exited', 'created', 'dead'].includes(c.runtime.state.Status)) continue;
    if (until !== undefined && Date.parse(c.record.created) >= until) continue;
    const labels = c.record.config.Labels ?? {};
    if (!matchLabels(labels, filters.get('label')) || !matchNotLabels(labels, filters.get('label!'))) continue;
    // A pod's containers go with their pod (the CRI's guard), not with a prune.
    if (deps.removalGuards.some((guard) => guard(c))) continue;
    const { rw } = await sizesOf(deps, c);
    try {
      await removeContainer(deps, ctx, c.record.id, {});
      deleted.push(c.record.id);
      reclaimed += rw;
    } catch (err) {
      ctx.log.warn('prune: could not remove container', { container: c.record.id, err });
    }
  }
  if (deleted.length) deps.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
