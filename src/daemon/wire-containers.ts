// Wires the /containers routes to their use cases: each call gets an OpContext whose
// signal is the request's (aborts when the client goes away).
import type { Duplex } from 'node:stream';
import type { OpContext } from '../common/context.ts';
import type { Router } from '../api/router.ts';
import { containerRoutes } from '../api/routes/containers.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import { createContainer } from '../services/containers/create.ts';
import { startContainer } from '../services/containers/start.ts';
import { killContainer, restartContainer, stopContainer } from '../services/containers/stop.ts';
import { waitContainer } from '../services/containers/wait.ts';
import { removeContainer } from '../services/containers/remove.ts';
import { renameContainer } from '../services/containers/rename.ts';
import { updateContainer } from '../services/containers/update.ts';
import { listContainers, sizesOf } from '../services/containers/list.ts';
import { containerInspect } from '../services/containers/views.ts';
import { containerLogs } from '../services/containers/logs.ts';
import { prepareAttach, runAttach, type AttachOptions } from '../services/containers/attach.ts';
import { pruneContainers } from '../services/containers/prune.ts';

/**
 * `op(signal)` is a request's context; `session` is the context of work bound to a hijacked
 * connection (attach), which ends when the connection does.
 */
export function wireContainers(
  router: Router,
  deps: ContainerDeps,
  op: (signal: AbortSignal) => OpContext,
  session: OpContext,
  /** `docker rm --link /parent/alias` (networking owns links). */
  removeLink: (name: string) => Promise<void>,
): void {
  containerRoutes(router, {
    create: (name, body, signal) => createContainer(deps, op(signal), { name, body }),
    list: (o) => listContainers(deps, o),
    inspect: async (id, size) => {
      const c = deps.store.resolve(id);
      return containerInspect(deps, c, size ? await sizesOf(deps, c) : undefined);
    },
    start: (id, signal) => startContainer(deps, op(signal), id),
    stop: (id, o, signal) => stopContainer(deps, op(signal), id, o),
    restart: (id, o, signal) => restartContainer(deps, op(signal), id, o),
    kill: (id, sig, signal) => killContainer(deps, op(signal), id, { signal: sig }),
    wait: (id, condition, signal) => waitContainer(deps, op(signal), id, { condition }),
    // `?link=1` removes a legacy link (the name is parent/alias), not a container.
    remove: (id, o, signal) => (o.link ? removeLink(id) : removeContainer(deps, op(signal), id, o)),
    rename: (id, name) => renameContainer(deps, id, name),
    update: (id, body, signal) => updateContainer(deps, op(signal), id, body),
    logs: (id, { signal, ...o }) => containerLogs(deps, op(signal), id, o),
    attach: attachBackend(deps, session),
    prune: (filters, signal) => pruneContainers(deps, op(signal), filters),
  });
}

/** POST …/attach and /attach/ws: validated before the hijack, run on the connection. */
export function attachBackend(deps: ContainerDeps, session: OpContext) {
  return (id: string, o: AttachOptions) => {
    const prepared = prepareAttach(deps, id, o);
    return {
      tty: prepared.tty,
      run: (conn: Duplex, framed: boolean) => runAttach(deps, session, prepared, o, conn, framed),
    };
  };
}
