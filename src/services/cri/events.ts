// GetContainerEvents: the engine's container events (create, start, die, destroy) of pods'
// containers and of their sandboxes, as the CRI's CREATED/STARTED/STOPPED/DELETED events
// carrying the pod's status and its containers' statuses (what kubelet's evented PLEG
// reads). The stream lasts until the client cancels it.
import type * as cri from '../../cri-types/api.ts';
import type { EngineEvent } from '../../events/bus.ts';
import { containerStatus } from './container-views.ts';
import type { CriDeps } from './deps.ts';
import { CRI_LABEL, SANDBOX_ID_LABEL, TYPE_LABEL } from './labels.ts';
import { podSandboxStatus } from './sandbox-views.ts';
import { podContainers } from './sandbox-stop.ts';

const TYPES: Record<string, cri.ContainerEventType> = {
  create: 'CONTAINER_CREATED_EVENT',
  start: 'CONTAINER_STARTED_EVENT',
  die: 'CONTAINER_STOPPED_EVENT',
  destroy: 'CONTAINER_DELETED_EVENT',
};

/** The pod a container belongs to (its own ID for a sandbox's infra); undefined for others. */
function podOf(deps: CriDeps, id: string): string | undefined {
  const labels = deps.containers.store.get(id)?.record.config.Labels ?? {};
  if (!labels[CRI_LABEL]) return undefined;
  return labels[TYPE_LABEL] === 'podsandbox' ? id : labels[SANDBOX_ID_LABEL];
}

function eventOf(deps: CriDeps, e: EngineEvent, pod: string): cri.ContainerEventResponse {
  const sandbox = deps.sandboxes.get(pod)
    ? podSandboxStatus(deps, { pod_sandbox_id: pod, verbose: false }).status
    : null;
  const statuses = podContainers(deps, pod)
    .filter((c) => c.record.config.Labels?.[TYPE_LABEL] === 'container')
    .map((c) => containerStatus(deps, { container_id: c.record.id, verbose: false }).status!);
  return {
    container_id: e.Actor.ID,
    container_event_type: TYPES[e.Action],
    created_at: String(e.timeNano),
    pod_sandbox_status: sandbox,
    containers_statuses: statuses,
  };
}

export async function getContainerEvents(
  deps: CriDeps,
  write: (m: cri.ContainerEventResponse) => void,
  signal: AbortSignal,
): Promise<void> {
  // A destroyed container's record is gone when its event comes: its pod is remembered.
  const pods = new Map<string, string>();
  for (const c of deps.containers.store.list()) {
    const pod = podOf(deps, c.record.id);
    if (pod) pods.set(c.record.id, pod);
  }
  const unsubscribe = deps.containers.events.subscribe((e) => {
    if (e.Type !== 'container' || !TYPES[e.Action]) return;
    const pod = podOf(deps, e.Actor.ID) ?? pods.get(e.Actor.ID);
    if (!pod) return;
    if (e.Action === 'destroy') pods.delete(e.Actor.ID);
    else pods.set(e.Actor.ID, pod);
    try {
      write(eventOf(deps, e, pod));
    } catch {
      /* the client went away; the abort ends the stream */
    }
  });
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    unsubscribe();
  }
}
