// POST /containers/{id}/start: refuses what cannot start (Docker's messages), then has the
// supervisor launch the task. The hot path of `run`: nothing here may do work that could
// be done at create time.
import { conflict, notModified } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';

export type StartDeps = Pick<ContainerDeps, 'store' | 'locks' | 'supervisor'>;

/** Docker's refusals of a start; restart checks the same. */
export function checkStartable(c: Container): void {
  const st = c.runtime.state.Status;
  if (st === 'running') throw notModified();
  if (st === 'paused') throw conflict('cannot start a paused container, try unpause instead');
  if (st === 'removing' || st === 'dead') throw conflict('Container is marked for removal and cannot be started.');
}

/**
 * A client that hangs up before the task is created cancels the start (nothing is left behind).
 * `netns`: a namespace the caller made to run the task in (a CRI pod's; not for the Engine API).
 */
export async function startContainer(
  deps: StartDeps,
  ctx: OpContext,
  idOrName: string,
  opts: { netns?: string } = {},
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const failed = await deps.locks.run(c.record.id, async () => {
    checkStartable(c);
    c.runtime.manuallyStopped = false;
    return deps.supervisor.launch(ctx, c, { manual: true, ...opts }).then(
      () => undefined,
      (err: unknown) => ({ err }),
    );
  });
  if (!failed) return;
  // Docker removes an --rm container whose start failed (after the lock: removal takes it).
  if (c.record.hostConfig.AutoRemove && deps.store.get(c.record.id))
    await deps.supervisor.remove(c, { force: true, volumes: true }).catch(() => {});
  throw failed.err;
}
