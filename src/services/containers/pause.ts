// pause / unpause: the cgroup freezer, through the shim's Pause/Resume (the supervisor
// also stops a frozen task's health probes). The status change is recorded (fsynced)
// before the API answers, so a restart keeps it; re-adoption reads the truth from the
// shim anyway.
import { conflict } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';

export type PauseDeps = Pick<ContainerDeps, 'store' | 'locks' | 'events' | 'supervisor'>;

export async function pauseContainer(deps: PauseDeps, _ctx: OpContext, idOrName: string): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  await deps.locks.run(id, async () => {
    const st = c.runtime.state.Status;
    if (st === 'paused') throw conflict(`Container ${id} is already paused`);
    if (st === 'restarting') throw conflict(`Container ${id} is restarting, wait until the container is running`);
    if (st !== 'running' || !deps.supervisor.taskOf(c)) throw conflict(`Container ${id} is not running`);
    await deps.supervisor.pause(c);
  });
  deps.events.publish('container', 'pause', id);
}

export async function unpauseContainer(deps: PauseDeps, _ctx: OpContext, idOrName: string): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  await deps.locks.run(id, async () => {
    if (c.runtime.state.Status !== 'paused' || !deps.supervisor.taskOf(c))
      throw conflict(`Container ${id} is not paused`);
    await deps.supervisor.resume(c);
  });
  deps.events.publish('container', 'unpause', id);
}
