// What happens when a task's init exits: drain output, delete the task (unmounts the
// rootfs, stops the shim), record the exit, wake waiters, then apply the restart policy
// or auto-removal. Runs without the container's lock; launchTask awaits it instead.
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import type { Task, TaskExit } from './ports.ts';
import { launchTask } from './start.ts';
import { removeContainer } from './remove.ts';
import { clearExecFiles } from './exec.ts';

const OUTPUT_DRAIN_MS = 2000;
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;
const RESET_AFTER_MS = 10_000;

interface ExitContext {
  copierDone: Promise<void>;
  closeCopier: () => void;
  ranMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export async function handleExit(
  deps: ContainerDeps,
  c: Container,
  task: Task,
  exit: TaskExit,
  ctx: ExitContext,
): Promise<void> {
  const id = c.record.id;
  const live = deps.live.get(id);
  // The shim closes the FIFOs once the process is gone; a grandchild that kept them open
  // must not hold the exit back forever.
  await Promise.race([ctx.copierDone, sleep(OUTPUT_DRAIN_MS)]);
  ctx.closeCopier();
  await live.closeLog?.().catch(() => {});
  live.closeLog = undefined;
  if (live.task === task) live.task = undefined;
  recordExit(c, exit);
  const policy = c.record.hostConfig.RestartPolicy ?? { Name: 'no' };
  const restart = shouldRestart(c, exit.exitCode, policy);
  if (restart) c.runtime.state.Status = 'restarting';
  // Waiters and attached clients learn of the exit now; whoever acts on the container next
  // (start, rm, a restart) awaits exitHandled, which covers the task's teardown below.
  live.io.endAll();
  live.io.resetStdin();
  live.events.emit('exit', exit.exitCode);
  deps.events.publish('container', 'die', id, {
    exitCode: String(exit.exitCode),
    image: c.record.config.Image,
    name: c.record.name,
  });
  const teardown = Promise.all([
    task.delete().catch((err) => deps.log.warn('task delete failed', { container: id, err })),
    deps.store.saveState(c).catch((err) => deps.log.error('saving container state failed', { container: id, err })),
    clearExecFiles(deps, id).catch(() => {}),
    deps.network?.release(id).catch((err) => deps.log.warn('network release failed', { container: id, err })),
  ]);
  if (!restart && c.record.hostConfig.AutoRemove) {
    // The record goes now (`run --rm` is waiting for it); the removal's own cleanup waits
    // for this teardown through exitHandled.
    void removeContainer(deps, id, { force: true, volumes: true, background: true }).catch((err) =>
      deps.log.warn('auto-remove failed', { container: id, err }),
    );
  }
  await teardown;
  live.exitHandled = undefined;
  if (restart) scheduleRestart(deps, c, ctx.ranMs);
}

export function recordExit(c: Container, exit: TaskExit): void {
  c.runtime.state = {
    ...c.runtime.state,
    Status: 'exited',
    Pid: 0,
    ExitCode: exit.exitCode,
    FinishedAt: exit.exitedAt,
  };
}

export function shouldRestart(
  c: Container,
  exitCode: number,
  policy: { Name: string; MaximumRetryCount?: number },
): boolean {
  if (c.runtime.manuallyStopped) return false;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = policy.MaximumRetryCount ?? 0;
      return exitCode !== 0 && (max === 0 || c.runtime.restartCount < max);
    }
    default:
      return false;
  }
}

const backoffs = new Map<string, number>();

function scheduleRestart(deps: ContainerDeps, c: Container, ranMs: number): void {
  const id = c.record.id;
  const prev = backoffs.get(id) ?? 0;
  const delay = ranMs >= RESET_AFTER_MS || prev === 0 ? BACKOFF_START_MS : Math.min(prev * 2, BACKOFF_MAX_MS);
  backoffs.set(id, delay);
  const live = deps.live.get(id);
  live.restartTimer = setTimeout(() => {
    live.restartTimer = undefined;
    void deps.locks.run(id, async () => {
      if (c.runtime.state.Status !== 'restarting' || !deps.store.get(id)) return;
      c.runtime.restartCount++;
      try {
        await launchTask(deps, c);
        deps.events.publish('container', 'restart', id, { image: c.record.config.Image, name: c.record.name });
      } catch (err) {
        deps.log.warn('restart failed', { container: id, err });
        c.runtime.state.Status = 'exited';
        await deps.store.saveState(c).catch(() => {});
      }
    });
  }, delay);
}

export function forgetBackoff(id: string): void {
  backoffs.delete(id);
}
