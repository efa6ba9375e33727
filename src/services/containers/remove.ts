// DELETE /containers/{id}: refuses a running container unless forced; kills, waits for
// the exit to be recorded, then removes the record and the name at once (the directory
// moves to the trash) and the task's remains and files after.
import { conflict } from '../../common/errors.ts';
import type { ContainerDeps } from './deps.ts';
import { isRunning } from './stop.ts';
import { forgetBackoff } from './monitor.ts';

export interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
  link?: boolean;
  /**
   * Return once the container is gone from the books (record, name, ID), finishing the
   * task's teardown and the file deletion in the background — auto-removal uses this so
   * `run --rm` does not wait for them. Default: return when everything is gone.
   */
  background?: boolean;
}

/** Resolves when the running task has exited (and the exit is recorded). */
function exited(deps: ContainerDeps, id: string): Promise<void> {
  const live = deps.live.get(id);
  if (!live.task) return Promise.resolve();
  return new Promise((resolve) => live.events.once('exit', () => resolve()));
}

const runningMessage = (name: string) =>
  `cannot remove container "/${name}": container is running: stop the container before removing or force remove`;

export async function removeContainer(deps: ContainerDeps, idOrName: string, opts: RemoveOptions = {}): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  const live = deps.live.get(id);
  if (isRunning(c) && c.runtime.state.Status !== 'restarting') {
    if (!opts.force) throw conflict(runningMessage(c.record.name));
    c.runtime.manuallyStopped = true;
    const done = exited(deps, id);
    await live.task?.kill(9, true).catch(() => {});
    await done;
  }
  let teardown: Promise<void> | undefined;
  await deps.locks.run(id, async () => {
    if (!deps.store.get(id)) return; // removed meanwhile (auto-remove racing an rm)
    if (live.task) {
      // Started again between our kill and now: only force may take it down.
      if (!opts.force) throw conflict(runningMessage(c.record.name));
      const done = exited(deps, id);
      await live.task.kill(9, true).catch(() => {});
      await done;
    }
    if (live.restartTimer) clearTimeout(live.restartTimer);
    c.runtime.state.Status = 'removing';
    await deps.store.moveToTrash(id);
    forgetBackoff(id);
    deps.execs.dropContainer(id);
    const exitHandled = live.exitHandled;
    teardown = (async () => {
      await exitHandled;
      await deps.runtime.cleanup(id).catch((err) => deps.log.warn('task cleanup failed', { container: id, err }));
      await deps.network?.release(id).catch((err) => deps.log.warn('network release failed', { container: id, err }));
      await deps.store.emptyTrash(id);
    })();
  });
  if (!teardown) return;
  deps.events.publish('container', 'destroy', id, { image: c.record.config.Image, name: c.record.name });
  live.io.endAll();
  live.events.emit('removed', c.runtime.state.ExitCode);
  deps.live.delete(id);
  if (opts.background) deps.background.track(teardown);
  else await teardown;
}
