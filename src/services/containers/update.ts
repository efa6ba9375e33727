// POST /containers/{id}/update (`docker update`): checks the request as create does
// (dockerd's verifyContainerSettings for an update), merges the fields it sets into the
// record as dockerd's UpdateContainer does (its conflicts refused), applies them to the
// running task's cgroup at once, and saves the record so the next start keeps them.
// Under the container's lock, so an update racing a start or stop leaves the cgroup and
// the record agreeing: a task that exits meanwhile takes the new values at its next start.
import { BerthError, conflict, messageOf } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type {
  ContainerUpdateBody,
  ContainerUpdateResponse,
  HostConfig,
  Resources,
} from '../../api/types/containers.ts';
import type { ContainerDeps } from './deps.ts';
import { settingsContext } from './create.ts';
import { normalizeRestartPolicy } from './validate.ts';
import { verifyContainerSettings } from './validate-settings.ts';

export type UpdateDeps = Pick<ContainerDeps, 'store' | 'locks' | 'events' | 'supervisor' | 'host' | 'settings'>;

/** How long a failed update waits to see whether the task was exiting anyway. */
const EXIT_GRACE_MS = 2000;

const cannot = (id: string, err: unknown, kind: 'conflict' | 'internal' = 'conflict') =>
  new BerthError(kind, `Cannot update container ${id}: ${messageOf(err)}`, { cause: err });

/**
 * dockerd's UpdateContainer: a field the request leaves zero keeps its value; NanoCpus and
 * CPU period/quota exclude each other; a memory limit above the recorded swap limit needs
 * the swap limit too; AutoRemove forbids a restart policy.
 */
export function mergeUpdate(current: HostConfig, u: HostConfig): HostConfig {
  const next: HostConfig = { ...current };
  if ((u.NanoCpus ?? 0) > 0 && (current.CpuPeriod ?? 0) > 0)
    throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if ((u.NanoCpus ?? 0) > 0 && (current.CpuQuota ?? 0) > 0)
    throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((u.CpuPeriod ?? 0) > 0 && (current.NanoCpus ?? 0) > 0)
    throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if ((u.CpuQuota ?? 0) > 0 && (current.NanoCpus ?? 0) > 0)
    throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  const numbers = [
    'BlkioWeight',
    'CpuShares',
    'NanoCpus',
    'CpuPeriod',
    'CpuQuota',
    'MemorySwap',
    'MemoryReservation',
    'CpuRealtimePeriod',
    'CpuRealtimeRuntime',
  ] as const satisfies readonly (keyof Resources)[];
  for (const f of numbers) if ((u[f] ?? 0) !== 0) next[f] = u[f];
  if (u.CpusetCpus) next.CpusetCpus = u.CpusetCpus;
  if (u.CpusetMems) next.CpusetMems = u.CpusetMems;
  if ((u.Memory ?? 0) !== 0) {
    if ((u.Memory ?? 0) > (current.MemorySwap ?? 0) && (u.MemorySwap ?? 0) === 0)
      throw conflict(
        'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      );
    next.Memory = u.Memory;
  }
  // Unified files named by the update replace those values; the others stay (containerd's merge).
  if (u.Unified && Object.keys(u.Unified).length) next.Unified = { ...current.Unified, ...u.Unified };
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) next.PidsLimit = u.PidsLimit > 0 ? u.PidsLimit : null;
  if (u.RestartPolicy?.Name) {
    if (current.AutoRemove && u.RestartPolicy.Name !== 'no')
      throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    next.RestartPolicy = u.RestartPolicy;
  }
  return next;
}

export async function updateContainer(
  deps: UpdateDeps,
  _ctx: OpContext,
  idOrName: string,
  body: ContainerUpdateBody,
): Promise<ContainerUpdateResponse> {
  const request: HostConfig = { ...body };
  if (body.RestartPolicy?.Name) request.RestartPolicy = normalizeRestartPolicy(body.RestartPolicy);
  const warnings = verifyContainerSettings(settingsContext(deps), undefined, request, true);
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  // Not cancelled by a client that hangs up: a limit applied to the cgroup must reach the record.
  await deps.locks.run(id, async () => {
    const st = c.runtime.state.Status;
    if (st === 'removing' || st === 'dead')
      throw cannot(id, new Error('container is marked for removal and cannot be "update"'));
    let next: HostConfig;
    try {
      next = mergeUpdate(c.record.hostConfig, request);
    } catch (err) {
      throw cannot(id, err);
    }
    const task = deps.supervisor.taskOf(c);
    if (task && (st === 'running' || st === 'paused')) {
      await task.updateResources(request).catch(async (err) => {
        // A task that is exiting (a stop raced us) takes the values at its next start; any
        // other failure leaves the record as it was.
        const exited = deps.supervisor.taskOf(c) !== task || (await deps.supervisor.waitExit(c, EXIT_GRACE_MS));
        if (!exited) throw cannot(id, err, 'internal');
      });
    }
    c.record.hostConfig = next;
    await deps.store.saveRecord(c);
  });
  deps.events.publish('container', 'update', id);
  return { Warnings: warnings };
}
