// StartContainer, StopContainer (timeout, then SIGKILL), RemoveContainer and
// ReopenContainerLog for a pod's container: the engine's verbs on the same container.
// Stop and remove of an unknown or already stopped container are success (idempotent).
import { conflict, isKind, notFound } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { OpContext } from '../../common/context.ts';
import type * as cri from '../../cri-types/api.ts';
import { removeContainer as removeEngineContainer } from '../containers/remove.ts';
import { startContainer as startEngineContainer } from '../containers/start.ts';
import { stopContainer as stopEngineContainer } from '../containers/stop.ts';
import type { CriDeps } from './deps.ts';
import { readCriMeta, TYPE_LABEL } from './labels.ts';

/** A pod's container (not an infra, not a plain engine container) by ID or unique prefix. */
export function findCriContainer(deps: CriDeps, id: string): Container | undefined {
  if (!id) return undefined;
  const c = deps.containers.store.tryResolve(id);
  if (c?.record.config.Labels?.[TYPE_LABEL] !== 'container' || !readCriMeta(c.record.config.Labels)) return undefined;
  return c;
}

export function resolveCriContainer(deps: CriDeps, id: string): Container {
  const c = findCriContainer(deps, id);
  if (!c) throw notFound(`container "${id}" not found`);
  return c;
}

const ignore =
  (...kinds: ('not-found' | 'not-modified')[]) =>
  (err: unknown) => {
    if (!kinds.some((k) => isKind(err, k))) throw err;
  };

export async function startContainer(deps: CriDeps, ctx: OpContext, req: cri.Decoded<cri.StartContainerRequest>) {
  const c = resolveCriContainer(deps, req.container_id);
  if (c.runtime.state.Status !== 'created')
    throw conflict(`container ${c.record.id} is in ${c.runtime.state.Status} state: only created containers start`);
  await startEngineContainer(deps.containers, ctx, c.record.id);
  return {};
}

export async function stopContainer(deps: CriDeps, ctx: OpContext, req: cri.Decoded<cri.StopContainerRequest>) {
  const c = findCriContainer(deps, req.container_id);
  if (!c) return {};
  await stopEngineContainer(deps.containers, ctx, c.record.id, { timeout: Math.max(0, Number(req.timeout)) }).catch(
    ignore('not-found', 'not-modified'),
  );
  return {};
}

export async function removeContainer(deps: CriDeps, ctx: OpContext, req: cri.Decoded<cri.RemoveContainerRequest>) {
  const c = findCriContainer(deps, req.container_id);
  if (!c) return {};
  await removeEngineContainer(deps.containers, ctx, c.record.id, { force: true, owner: true }).catch(
    ignore('not-found'),
  );
  return {};
}

export async function reopenContainerLog(deps: CriDeps, req: cri.Decoded<cri.ReopenContainerLogRequest>) {
  const c = resolveCriContainer(deps, req.container_id);
  const live = deps.containers.live.peek(c.record.id);
  if (c.runtime.state.Status !== 'running' || !live?.reopenLog)
    throw conflict(`container ${c.record.id} is not running: its log cannot be reopened`);
  live.reopenLog();
  return {};
}
