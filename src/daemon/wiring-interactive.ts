// Wires the interactive routes (resize, pause, top, stats, ws attach, exec, events) to
// their use cases.
import type { Duplex } from 'node:stream';
import type { EventBus } from '../events/bus.ts';
import type { Router } from '../api/router.ts';
import { interactiveRoutes } from '../api/routes/interactive.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import { prepareAttach, runAttach } from '../services/containers/attach.ts';
import { createExec, inspectExec, prepareExecStart, resizeExec, runExecStart } from '../services/containers/exec.ts';
import { pauseContainer, unpauseContainer } from '../services/containers/pause.ts';
import { containerTop } from '../services/containers/top.ts';
import { containerStats } from '../services/containers/stats.ts';
import { resizeContainer } from '../services/containers/resize.ts';
import { queryEvents } from '../services/system/events.ts';

export function registerInteractive(router: Router, deps: ContainerDeps, events: EventBus): void {
  // Container events carry the container's labels (what `events --filter label=…` matches).
  events.enrich = (type, id, attributes) => {
    const labels = type === 'container' ? deps.store.get(id)?.record.config.Labels : undefined;
    return labels && Object.keys(labels).length ? { ...labels, ...attributes } : attributes;
  };
  interactiveRoutes(router, {
    resize: (id, h, w) => resizeContainer(deps, id, h, w),
    pause: (id) => pauseContainer(deps, id),
    unpause: (id) => unpauseContainer(deps, id),
    top: (id, psArgs) => containerTop(deps, id, psArgs),
    stats: (id, o) => containerStats(deps, id, o),
    attach: (id, o) => {
      const prepared = prepareAttach(deps, id, o);
      return { tty: prepared.tty, run: (conn: Duplex, framed: boolean) => runAttach(deps, prepared, o, conn, framed) };
    },
    execCreate: (id, body) => createExec(deps, id, body),
    execStart: (execId, o) => {
      const p = prepareExecStart(deps, execId, o);
      return { detach: p.detach, tty: p.tty, run: (conn, framed) => runExecStart(deps, p, conn, framed) };
    },
    execResize: (execId, h, w) => resizeExec(deps, execId, h, w),
    execInspect: (execId) => inspectExec(deps, execId),
    events: (q) => queryEvents(events, q),
  });
}
