// DELETE /containers/{id}: refuses a running container unless forced; the supervisor kills
// it, awaits the exit's record, takes the record and the name off the books at once (the
// directory moves to the trash), then deletes the task's remains and the files. Not
// cancelled by a client that hangs up: a removal cut short after the kill would leave a
// stopped container that was asked to go. A removal guard (the CRI's: a pod's containers go
// with their pod) refuses it unless the owner asks.
import { conflict } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';

export type RemoveDeps = Pick<ContainerDeps, 'store' | 'supervisor' | 'removalGuards'>;

export interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
  link?: boolean;
  /** The owner of the container removes it (the CRI removing a pod's container): no guard applies. */
  owner?: boolean;
}

export async function removeContainer(
  deps: RemoveDeps,
  _ctx: OpContext,
  idOrName: string,
  opts: RemoveOptions = {},
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  if (!opts.owner)
    for (const guard of deps.removalGuards) {
      const why = guard(c);
      if (why) throw conflict(why);
    }
  await deps.supervisor.remove(c, { force: opts.force, volumes: opts.volumes });
}
