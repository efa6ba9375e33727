// stop, kill and restart. Signals are sent under the container's lock; waiting for the
// exit happens outside it so the exit handler and other callers are never blocked.
// None of them is cancelled by a client that hangs up (Docker's too, moby#45731 and
// #46688): a stop cut short after its signal would leave a container running that was
// asked to stop, a restart cut short between stop and start one stopped that was asked
// to run — a container restarting itself through the API socket kills its own client.
import { conflict, invalidArgument, notModified } from '../../common/errors.ts';
import { withoutCancel, type OpContext } from '../../common/context.ts';
import { parseSignal } from '../../common/signals.ts';
import { isRunning } from '../../containers/state-machine.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import { checkStartable } from './start.ts';

const DEFAULT_STOP_TIMEOUT = 10;
const SIGKILL = 9;

export type StopDeps = Pick<ContainerDeps, 'store' | 'locks' | 'events' | 'supervisor'>;

export interface StopOptions {
  timeout?: number;
  signal?: string;
}

export async function stopContainer(
  deps: StopDeps,
  _ctx: OpContext,
  idOrName: string,
  opts: StopOptions = {},
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  await stopResolved(deps, c, opts, true);
}

async function stopResolved(deps: StopDeps, c: Container, opts: StopOptions, manual: boolean): Promise<void> {
  if (opts.timeout !== undefined && (!Number.isInteger(opts.timeout) || opts.timeout < -1)) {
    throw invalidArgument(`invalid value for t: ${opts.timeout}`);
  }
  const sig = parseSignal(opts.signal || c.record.config.StopSignal || 'SIGTERM');
  const timeout = opts.timeout ?? c.record.config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
  const sup = deps.supervisor;
  const sent = await deps.locks.run(c.record.id, async () => {
    if (manual) c.runtime.manuallyStopped = true;
    if (sup.cancelRestart(c)) {
      await deps.store.saveState(c);
      return false;
    }
    if (!sup.taskOf(c)) return false;
    await deps.store.saveState(c);
    await sup.signal(c, sig).catch(() => {});
    return true;
  });
  if (!sent) {
    const settling = sup.settling(c);
    if (!settling) {
      if (!manual) return;
      throw notModified();
    }
    await settling;
    if (manual) throw notModified(); // it had exited already (its teardown was still running): Docker's 304
    return;
  }
  if (await sup.waitExit(c, timeout < 0 ? -1 : timeout * 1000)) {
    await sup.settled(c);
    return;
  }
  await sup
    .taskOf(c)
    ?.kill(SIGKILL, true)
    .catch(() => {});
  await sup.waitExit(c, -1);
  await sup.settled(c);
}

export interface KillOptions {
  /** Name or number; SIGKILL when absent. */
  signal?: string;
}

export async function killContainer(
  deps: StopDeps,
  _ctx: OpContext,
  idOrName: string,
  opts: KillOptions = {},
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  const sig = parseSignal(opts.signal || 'SIGKILL');
  await deps.locks.run(c.record.id, async () => {
    const st = c.runtime.state.Status;
    if (!deps.supervisor.taskOf(c) || (st !== 'running' && st !== 'paused')) {
      throw conflict(`Cannot kill container: ${idOrName}: Container ${c.record.id} is not running`);
    }
    // A kill that ends the container counts as a manual stop for restart policies (Docker).
    if (sig === SIGKILL) c.runtime.manuallyStopped = true;
    await deps.supervisor.signal(c, sig);
  });
  deps.events.publish('container', 'kill', c.record.id, { signal: String(sig) });
  if (sig === SIGKILL) await deps.supervisor.waitExit(c, 5000);
}

export async function restartContainer(
  deps: StopDeps,
  ctx: OpContext,
  idOrName: string,
  opts: StopOptions = {},
): Promise<void> {
  const c = deps.store.resolve(idOrName);
  if (isRunning(c)) await stopResolved(deps, c, opts, false);
  await deps.locks.run(c.record.id, async () => {
    c.runtime.manuallyStopped = false;
    if (deps.supervisor.taskOf(c)) return; // its policy restarted it meanwhile
    checkStartable(c);
    await deps.supervisor.launch(withoutCancel(ctx), c, { manual: true });
  });
  deps.events.publish('container', 'restart', c.record.id);
}
