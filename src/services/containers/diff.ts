// GET /containers/{id}/changes: what the container's upper dir changed (docker diff).
import type { Change } from '../../snapshots/upper-changes.ts';
import { upperChanges } from '../../snapshots/upper-changes.ts';
import type { ContainerDeps } from './deps.ts';
import { lowersOf, mountPointsOf, upperOf } from './fs-common.ts';

export async function containerChanges(deps: ContainerDeps, idOrName: string): Promise<Change[]> {
  const c = deps.store.resolve(idOrName);
  return upperChanges(upperOf(deps, c), lowersOf(deps, c), { mountPoints: mountPointsOf(c) });
}
