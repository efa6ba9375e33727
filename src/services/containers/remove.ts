// DELETE /containers/{id}: refuses a running container unless forced; kills, waits for
// the exit to be recorded, then removes the record, the directory and the name.
import { rm } from 'node:fs/promises';
import { conflict } from '../../common/errors.ts';
import type { ContainerDeps } from './deps.ts';
import { isRunning } from './stop.ts';
import { forgetBackoff } from './monitor.ts';

export interface RemoveOptions { force?: boolean; volumes?: boolean; link?: boolean }

export async function removeContainer(deps: ContainerDeps, idOrName: string, opts: RemoveOptions = {}): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  const live = deps.live.get(id);
  if (isRunning(c) && c.runtime.state.Status !== 'restarting') {
    if (!opts.force) {
      throw conflict(`cannot remove container "/${c.record.name}": container is running: stop the container before removing or force remove`);
    }
    c.runtime.manuallyStopped = true;
    await live.task?.kill(9, true).catch(() => {});
  }
  if (live.exitHandled) await live.exitHandled;
  const exitCode = c.runtime.state.ExitCode;
  await deps.locks.run(id, async () => {
    if (!deps.store.get(id)) return; // removed meanwhile (auto-remove racing an rm)
    if (live.task) {
      // Started again between our kill and now: only force may take it down.
      if (!opts.force) throw conflict(`cannot remove container "/${c.record.name}": container is running: stop the container before removing or force remove`);
      await live.task.kill(9, true).catch(() => {});
      await live.exitHandled;
    }
    if (live.restartTimer) clearTimeout(live.restartTimer);
    c.runtime.state.Status = 'removing';
    await deps.store.saveState(c).catch(() => {});
    await deps.runtime.cleanup(id).catch((err) => deps.log.warn('task cleanup failed', { container: id, err }));
    await deps.store.remove(id);
    await rm(c.record.logPath, { force: true });
    forgetBackoff(id);
  });
  deps.events.publish('container', 'destroy', id, { image: c.record.config.Image, name: c.record.name });
  live.io.endAll();
  live.events.emit('removed', exitCode);
  deps.live.delete(id);
}
