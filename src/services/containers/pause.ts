// pause / unpause: the cgroup freezer, through the shim's Pause/Resume. The status change
// is recorded (fsynced) before the API answers, so a restart keeps it; re-adoption reads
// the truth from the shim anyway.
import { conflict } from '../../common/errors.ts';
import type { ContainerDeps } from './deps.ts';

export async function pauseContainer(deps: ContainerDeps, idOrName: string): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  await deps.locks.run(id, async () => {
    const st = c.runtime.state.Status;
    const task = deps.live.get(id).task;
    if (st === 'paused') throw conflict(`Container ${id} is already paused`);
    if (st === 'restarting') throw conflict(`Container ${id} is restarting, wait until the container is running`);
    if (st !== 'running' || !task) throw conflict(`Container ${id} is not running`);
    await task.pause();
    c.runtime.state.Status = 'paused';
    await deps.store.saveState(c);
  });
  deps.events.publish('container', 'pause', id, { image: c.record.config.Image, name: c.record.name });
}

export async function unpauseContainer(deps: ContainerDeps, idOrName: string): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  await deps.locks.run(id, async () => {
    const task = deps.live.get(id).task;
    if (c.runtime.state.Status !== 'paused' || !task) throw conflict(`Container ${id} is not paused`);
    await task.resume();
    c.runtime.state.Status = 'running';
    await deps.store.saveState(c);
  });
  deps.events.publish('container', 'unpause', id, { image: c.record.config.Image, name: c.record.name });
}

/** A frozen task cannot act on a signal: after one is sent, thaw it (Docker does the same). */
export async function thawAfterSignal(deps: ContainerDeps, id: string): Promise<void> {
  const c = deps.store.get(id);
  const task = deps.live.get(id).task;
  if (!c || !task || c.runtime.state.Status !== 'paused') return;
  await task.resume().catch(() => {});
  c.runtime.state.Status = 'running';
  deps.events.publish('container', 'unpause', id, { image: c.record.config.Image, name: c.record.name });
}
