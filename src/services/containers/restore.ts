// Start-up reconciliation: re-adopt tasks that kept running under their shims while
// berthd was down, record exits that happened meanwhile (real code from the shim, 255
// when unknowable), finish interrupted removals, and apply restart policies.
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import { openLogSink } from './log-sink.ts';
import { adoptTask, launchTask } from './start.ts';
import { recordExit, shouldRestart } from './monitor.ts';
import { removeContainer } from './remove.ts';
import { restoreExecs } from './exec.ts';

const CONCURRENCY = 16;

async function restoreOne(deps: ContainerDeps, c: Container): Promise<'restart' | 'remove' | 'none'> {
  const id = c.record.id;
  const st = c.runtime.state.Status;
  if (st === 'removing') return 'remove';
  const recordedRunning = st === 'running' || st === 'paused' || st === 'restarting';
  // 'dead' is how a container whose state record was unreadable loads.
  const unknown = st === 'dead';
  // The shim, not the record, says whether a task runs: a start whose state write had not
  // landed when berthd died still has a live task to adopt, whatever the record says.
  const found = await deps.runtime
    .restore(id, { terminal: Boolean(c.record.config.Tty), openStdin: Boolean(c.record.config.OpenStdin) })
    .catch((err) => {
      deps.log.warn('could not restore task', { container: id, err });
      return undefined;
    });
  if (found && 'task' in found) {
    await adoptTask(deps, c, found.task, openLogSink(deps, c), false);
    await restoreExecs(deps, c, found.task);
    const status = found.paused ? 'paused' : 'running';
    if (c.runtime.state.Status !== status || c.runtime.state.Pid !== found.task.pid) {
      c.runtime.state = { ...c.runtime.state, Status: status, Pid: found.task.pid };
      c.runtime.hasBeenStarted = true;
      await deps.store.saveState(c);
    }
    deps.log.info('re-adopted running container', { container: id, pid: found.task.pid });
    return 'none';
  }
  if (!recordedRunning && !unknown && !found) {
    // Stopped, and no task ran since: nothing to reconcile but the restart policy.
    await deps.runtime.cleanup(id).catch(() => {});
    if (c.record.hostConfig.AutoRemove && st === 'exited') return 'remove';
    const p = c.record.hostConfig.RestartPolicy?.Name;
    const start =
      c.runtime.hasBeenStarted && (p === 'always' || (p === 'unless-stopped' && !c.runtime.manuallyStopped));
    return start ? 'restart' : 'none';
  }
  const exit = found?.exited ?? { exitCode: 255, exitedAt: new Date().toISOString() };
  await deps.runtime.cleanup(id).catch(() => {});
  recordExit(c, exit);
  c.runtime.hasBeenStarted = true;
  await deps.store.saveState(c);
  deps.events.publish('container', 'die', id, {
    exitCode: String(exit.exitCode),
    image: c.record.config.Image,
    name: c.record.name,
  });
  const policy = c.record.hostConfig.RestartPolicy ?? { Name: 'no' };
  if (!unknown && shouldRestart(c, exit.exitCode, policy)) return 'restart';
  return c.record.hostConfig.AutoRemove ? 'remove' : 'none';
}

/**
 * A task with no container record (its record was quarantined, or berthd died between
 * starting a task and recording it) would run on unseen: stop it and clean up after it.
 */
async function reapOrphans(deps: ContainerDeps): Promise<void> {
  for (const id of await deps.runtime.listTasks()) {
    if (deps.store.get(id)) continue;
    deps.log.warn('stopping a task that belongs to no container record', { task: id });
    try {
      const found = await deps.runtime.restore(id, { terminal: false, openStdin: false });
      if (found && 'task' in found) {
        await found.task.kill(9, true).catch(() => {});
        await found.task.wait();
        await found.task.delete();
      }
    } catch (err) {
      deps.log.warn('could not stop an orphaned task', { task: id, err });
    }
    await deps.runtime.cleanup(id).catch(() => {});
  }
}

export async function restoreContainers(deps: ContainerDeps): Promise<void> {
  await reapOrphans(deps);
  const all = deps.store.list();
  const actions = new Map<string, 'restart' | 'remove' | 'none'>();
  for (let i = 0; i < all.length; i += CONCURRENCY) {
    await Promise.all(
      all.slice(i, i + CONCURRENCY).map(async (c) => {
        try {
          actions.set(c.record.id, await restoreOne(deps, c));
        } catch (err) {
          deps.log.error('restoring container failed', { container: c.record.id, err });
        }
      }),
    );
  }
  for (const [id, action] of actions) {
    const c = deps.store.get(id);
    if (!c) continue;
    if (action === 'remove') {
      await removeContainer(deps, id, { force: true }).catch((err) =>
        deps.log.warn('removing container at start-up failed', { container: id, err }),
      );
    } else if (action === 'restart') {
      if (c.runtime.state.Status !== 'exited') continue;
      void deps.locks
        .run(id, async () => {
          c.runtime.restartCount++;
          await launchTask(deps, c);
          deps.events.publish('container', 'restart', id, { image: c.record.config.Image, name: c.record.name });
        })
        .catch((err) => deps.log.warn('restart at start-up failed', { container: id, err }));
    }
  }
}
