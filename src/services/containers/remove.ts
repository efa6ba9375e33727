// DELETE /containers/{id}: refuses a running container unless forced; the supervisor kills
// it, awaits the exit's record, takes the record and the name off the books at once (the
// directory moves to the trash), then deletes the task's remains and the files. Not
// cancelled by a client that hangs up: a removal cut short after the kill would leave a
// stopped container that was asked to go.
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';

export type RemoveDeps = Pick<ContainerDeps, 'store' | 'supervisor'>;

export interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
  link?: boolean;
}

export async function removeContainer(
  deps: RemoveDeps,
  _ctx: OpContext,
  idOrName: string,
  opts: RemoveOptions = {},
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  await deps.supervisor.remove(c, { force: opts.force, volumes: opts.volumes });
}
