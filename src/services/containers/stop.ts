// stop, kill and restart. Signals are sent under the container's lock; waiting for the
// exit happens outside it so the exit handler and other callers are never blocked.
import { conflict, invalidArgument, notModified } from '../../common/errors.ts';
import { parseSignal } from '../../common/signals.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import { launchTask } from './start.ts';
import { thawAfterSignal } from './pause.ts';

const DEFAULT_STOP_TIMEOUT = 10;
const SIGKILL = 9;

export const isRunning = (c: Container) => ['running', 'paused', 'restarting'].includes(c.runtime.state.Status);

function waitExit(deps: ContainerDeps, c: Container, ms: number): Promise<boolean> {
  const live = deps.live.get(c.record.id);
  if (!live.task && !live.exitHandled) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t =
      ms >= 0
        ? setTimeout(() => {
            live.events.off('exit', done);
            resolve(false);
          }, ms)
        : undefined;
    function done() {
      if (t) clearTimeout(t);
      resolve(true);
    }
    live.events.once('exit', done);
  });
}

/** Cancels a pending restart: the container stays exited. */
function cancelRestart(deps: ContainerDeps, c: Container): boolean {
  const live = deps.live.get(c.record.id);
  if (c.runtime.state.Status !== 'restarting' || live.task) return false;
  if (live.restartTimer) clearTimeout(live.restartTimer);
  live.restartTimer = undefined;
  c.runtime.state.Status = 'exited';
  return true;
}

export interface StopOptions {
  timeout?: number;
  signal?: string;
}

export async function stopContainer(deps: ContainerDeps, idOrName: string, opts: StopOptions = {}): Promise<void> {
  const c = deps.store.resolve(idOrName);
  await stopResolved(deps, c, opts, true);
}

async function stopResolved(deps: ContainerDeps, c: Container, opts: StopOptions, manual: boolean): Promise<void> {
  if (opts.timeout !== undefined && (!Number.isInteger(opts.timeout) || opts.timeout < -1)) {
    throw invalidArgument(`invalid value for t: ${opts.timeout}`);
  }
  const sig = parseSignal(opts.signal || c.record.config.StopSignal || 'SIGTERM');
  const timeout = opts.timeout ?? c.record.config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
  const live = deps.live.get(c.record.id);
  const sent = await deps.locks.run(c.record.id, async () => {
    if (manual) c.runtime.manuallyStopped = true;
    if (cancelRestart(deps, c)) {
      await deps.store.saveState(c);
      return false;
    }
    if (!live.task) return false;
    await deps.store.saveState(c);
    await live.task.kill(sig).catch(() => {});
    await thawAfterSignal(deps, c.record.id);
    return true;
  });
  if (!sent) {
    if (!live.exitHandled) {
      if (!manual) return;
      throw notModified();
    }
    await live.exitHandled;
    if (manual) throw notModified(); // it had exited already (its teardown was still running): Docker's 304
    return;
  }
  if (await waitExit(deps, c, timeout < 0 ? -1 : timeout * 1000)) {
    await live.exitHandled;
    return;
  }
  await live.task?.kill(SIGKILL, true).catch(() => {});
  await waitExit(deps, c, -1);
  await live.exitHandled;
}

export async function killContainer(deps: ContainerDeps, idOrName: string, signal?: string): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const sig = parseSignal(signal || 'SIGKILL');
  await deps.locks.run(c.record.id, async () => {
    const live = deps.live.get(c.record.id);
    if (!live.task || (c.runtime.state.Status !== 'running' && c.runtime.state.Status !== 'paused')) {
      throw conflict(`Cannot kill container: ${idOrName}: Container ${c.record.id} is not running`);
    }
    // A kill that ends the container counts as a manual stop for restart policies (Docker).
    if (sig === SIGKILL) c.runtime.manuallyStopped = true;
    await live.task.kill(sig);
    await thawAfterSignal(deps, c.record.id);
  });
  deps.events.publish('container', 'kill', c.record.id, {
    image: c.record.config.Image,
    name: c.record.name,
    signal: String(sig),
  });
  if (sig === SIGKILL) await waitExit(deps, c, 5000);
}

export async function restartContainer(deps: ContainerDeps, idOrName: string, opts: StopOptions = {}): Promise<void> {
  const c = deps.store.resolve(idOrName);
  if (isRunning(c)) await stopResolved(deps, c, opts, false);
  await deps.locks.run(c.record.id, async () => {
    c.runtime.manuallyStopped = false;
    if (deps.live.get(c.record.id).task) return;
    await launchTask(deps, c);
  });
  deps.events.publish('container', 'restart', c.record.id, { image: c.record.config.Image, name: c.record.name });
}
