// GET /containers/{id}/changes: what the container's upper dir changed (docker diff).
// Read-only: a client that hangs up stops the walk.
import { upperChanges } from '../../snapshots/upper-changes.ts';
import type { OpContext } from '../../common/context.ts';
import type { FilesystemChange } from '../../api/types/containers.ts';
import type { ContainerDeps } from './deps.ts';
import { mountPointsOf } from './fs-common.ts';
import { lowersOf, upperOf } from './rootfs.ts';

export async function containerChanges(
  deps: Pick<ContainerDeps, 'store' | 'images' | 'layers'>,
  ctx: OpContext,
  idOrName: string,
): Promise<FilesystemChange[]> {
  const c = deps.store.resolve(idOrName);
  return upperChanges(upperOf(deps, c), lowersOf(deps, c), { mountPoints: mountPointsOf(c), signal: ctx.signal });
}
