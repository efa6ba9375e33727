// POST /containers/{id}/resize: the TTY size of the running container's terminal.
import { conflict } from '../../common/errors.ts';
import type { ContainerDeps } from './deps.ts';

export async function resizeContainer(
  deps: Pick<ContainerDeps, 'store' | 'live' | 'events'>,
  idOrName: string,
  h: number,
  w: number,
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const task = deps.live.get(c.record.id).task;
  if (!task || (c.runtime.state.Status !== 'running' && c.runtime.state.Status !== 'paused')) {
    throw conflict(`Container ${c.record.id} is not running`);
  }
  await task.resize(w, h);
  deps.events.publish('container', 'resize', c.record.id, {
    height: String(h),
    width: String(w),
  });
}
