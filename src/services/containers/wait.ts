// POST /containers/{id}/wait: not-running (default), next-exit, removed. The listener is
// registered synchronously, so a wait issued before start sees that run's exit.
import { invalidArgument } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { isRunning } from '../../containers/state-machine.ts';
import type { ContainerDeps } from './deps.ts';
import type { ContainerWaitResponse, WaitCondition } from '../../api/types/containers.ts';

export interface WaitOptions {
  condition?: string;
}

/** Returns a promise for the result (rejected when `ctx.signal` aborts); throws synchronously (404/400) before anything is sent. */
export function waitContainer(
  deps: Pick<ContainerDeps, 'store' | 'live'>,
  ctx: OpContext,
  idOrName: string,
  opts: WaitOptions = {},
): Promise<ContainerWaitResponse> {
  const condition = opts.condition;
  const signal = ctx.signal;
  const cond = (condition || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(cond)) {
    throw invalidArgument(`invalid condition: "${condition}"`);
  }
  const c = deps.store.resolve(idOrName);
  const live = deps.live.get(c.record.id);
  if (cond === 'not-running' && !isRunning(c))
    return Promise.resolve({ StatusCode: c.runtime.state.ExitCode, Error: null });
  const event = cond === 'removed' ? 'removed' : 'exit';
  return new Promise((resolve, reject) => {
    const onEvent = (code: number) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ StatusCode: code, Error: null });
    };
    const onAbort = () => {
      live.events.off(event, onEvent);
      reject(new Error('client went away'));
    };
    live.events.once(event, onEvent);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
