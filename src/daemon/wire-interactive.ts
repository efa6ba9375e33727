// Wires the interactive routes (resize, pause, top, stats, ws attach, exec, events) to
// their use cases.
import type { OpContext } from '../common/context.ts';
import type { EventBus } from '../events/bus.ts';
import type { Router } from '../api/router.ts';
import { interactiveRoutes } from '../api/routes/interactive.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import { attachBackend } from './wire-containers.ts';
import { createExec, inspectExec, prepareExecStart, resizeExec, runExecStart } from '../services/containers/exec.ts';
import { pauseContainer, unpauseContainer } from '../services/containers/pause.ts';
import { containerTop } from '../services/containers/top.ts';
import { containerStats } from '../services/containers/stats.ts';
import { resizeContainer } from '../services/containers/resize.ts';
import { queryEvents } from '../services/system/events.ts';

/** `op(signal)`: a request's context; `session`: work bound to a hijacked connection (it ends with it). */
export function registerInteractive(
  router: Router,
  deps: ContainerDeps,
  events: EventBus,
  op: (signal: AbortSignal) => OpContext,
  session: OpContext,
): void {
  interactiveRoutes(router, {
    resize: (id, h, w) => resizeContainer(deps, id, h, w),
    pause: (id, signal) => pauseContainer(deps, op(signal), id),
    unpause: (id, signal) => unpauseContainer(deps, op(signal), id),
    top: (id, psArgs, signal) => containerTop(deps, op(signal), id, { psArgs }),
    stats: (id, { signal, ...o }) => containerStats(deps, op(signal), id, o),
    attach: attachBackend(deps, session),
    execCreate: (id, body) => createExec(deps, id, body),
    execStart: (execId, o) => {
      const p = prepareExecStart(deps, execId, o);
      return { detach: p.detach, tty: p.tty, run: (conn, framed) => runExecStart(deps, session, p, conn, framed) };
    },
    execResize: (execId, h, w) => resizeExec(deps, execId, h, w),
    execInspect: (execId) => inspectExec(deps, execId),
    events: (q) => queryEvents(events, q),
  });
}
