// Start-up reconciliation: tasks that belong to no record are stopped; every container is
// handed to the supervisor, which re-adopts tasks that kept running under their shims
// while berthd was down and records the exits that happened meanwhile; then interrupted
// removals are finished and restart policies applied.
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import type { Recovery } from './supervisor.ts';

const CONCURRENCY = 16;

export type RestoreDeps = Pick<ContainerDeps, 'store' | 'runtime' | 'locks' | 'supervisor'>;

/**
 * A task with no container record (its record was quarantined, or berthd died between
 * starting a task and recording it) would run on unseen: stop it and clean up after it.
 */
async function reapOrphans(deps: RestoreDeps, ctx: OpContext): Promise<void> {
  for (const id of await deps.runtime.listTasks()) {
    if (deps.store.get(id)) continue;
    ctx.log.warn('stopping a task that belongs to no container record', { task: id });
    try {
      const found = await deps.runtime.restore(id, { terminal: false, openStdin: false });
      if (found && 'task' in found) {
        await found.task.kill(9, true).catch(() => {});
        await found.task.wait();
        await found.task.delete();
      }
    } catch (err) {
      ctx.log.warn('could not stop an orphaned task', { task: id, err });
    }
    await deps.runtime.cleanup(id).catch(() => {});
  }
}

export async function restoreContainers(deps: RestoreDeps, ctx: OpContext): Promise<void> {
  await reapOrphans(deps, ctx);
  const all = deps.store.list();
  const actions = new Map<string, Recovery>();
  for (let i = 0; i < all.length; i += CONCURRENCY) {
    await Promise.all(
      all.slice(i, i + CONCURRENCY).map(async (c) => {
        try {
          actions.set(c.record.id, await deps.supervisor.recover(c));
        } catch (err) {
          ctx.log.error('restoring container failed', { container: c.record.id, err });
        }
      }),
    );
  }
  for (const [id, action] of actions) {
    const c = deps.store.get(id);
    if (!c) continue;
    if (action === 'remove') {
      await deps.supervisor
        .remove(c, { force: true, volumes: Boolean(c.record.hostConfig.AutoRemove) })
        .catch((err) => ctx.log.warn('removing container at start-up failed', { container: id, err }));
    } else if (action === 'restart') {
      if (c.runtime.state.Status !== 'exited') continue;
      void deps.locks
        .run(id, () => deps.supervisor.restartByPolicy(ctx, c))
        .catch((err) => ctx.log.warn('restart at start-up failed', { container: id, err }));
    }
  }
}
