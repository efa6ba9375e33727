// StopPodSandbox and RemovePodSandbox. Stop kills every container of the pod, releases the
// network through CNI DEL (once: the record remembers) and stops the infra; remove also
// removes the containers, the infra and the record. Both are idempotent, and an unknown
// sandbox is success, as the CRI requires. Neither is cut short by a client that hangs up:
// a pod half stopped would hold its network.
import { background } from '../../common/context.ts';
import { isKind, messageOf } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type * as cri from '../../cri-types/api.ts';
import { cniDel, type CniConfList, type CniResult } from '../../network/cni.ts';
import type { SandboxRecord } from '../../pods/store.ts';
import { removeContainer } from '../containers/remove.ts';
import { stopContainer } from '../containers/stop.ts';
import type { CriDeps } from './deps.ts';
import { CRI_LABEL, SANDBOX_ID_LABEL, TYPE_LABEL } from './labels.ts';
import { cniAttachment } from './sandbox-run.ts';

export function podContainers(deps: CriDeps, sandboxId: string): Container[] {
  return deps.containers.store.list().filter((c) => c.record.config.Labels?.[SANDBOX_ID_LABEL] === sandboxId);
}

const ignoreMissing = (err: unknown) => {
  if (!isKind(err, 'not-found') && !isKind(err, 'not-modified')) throw err;
};

/** CNI DEL for a sandbox whose network is still held; the record is saved released. */
export async function releaseNetwork(deps: CriDeps, s: SandboxRecord): Promise<void> {
  const n = s.network;
  if (!n || n.released) return;
  const infra = deps.containers.store.get(s.id);
  // The namespace is the infra's: gone with it, DEL still releases the address by ID.
  const netns = infra?.runtime.state.Status === 'running' ? n.netns : '';
  await cniDel(
    n.list as unknown as CniConfList,
    cniAttachment(s, netns),
    deps.network.binDirs,
    n.result as CniResult | undefined,
  );
  n.released = true;
  await deps.sandboxes.save(s);
}

async function stopLocked(deps: CriDeps, s: SandboxRecord): Promise<void> {
  await Promise.all(
    podContainers(deps, s.id).map((c) =>
      stopContainer(deps.containers, background(deps.log), c.record.id, { timeout: 0 }).catch(ignoreMissing),
    ),
  );
  await releaseNetwork(deps, s);
  await stopContainer(deps.containers, background(deps.log), s.id, { timeout: 0 }).catch(ignoreMissing);
  if (s.state !== 'SANDBOX_NOTREADY') {
    s.state = 'SANDBOX_NOTREADY';
    await deps.sandboxes.save(s);
  }
}

export async function stopPodSandbox(
  deps: CriDeps,
  req: cri.Decoded<cri.StopPodSandboxRequest>,
): Promise<cri.StopPodSandboxResponse> {
  const s = deps.sandboxes.find(req.pod_sandbox_id);
  if (!s) return {};
  await deps.locks.run(`sandbox:${s.id}`, () => stopLocked(deps, s));
  return {};
}

export async function removePodSandbox(
  deps: CriDeps,
  req: cri.Decoded<cri.RemovePodSandboxRequest>,
): Promise<cri.RemovePodSandboxResponse> {
  const s = deps.sandboxes.find(req.pod_sandbox_id);
  if (!s) return {};
  await deps.locks.run(`sandbox:${s.id}`, () => removeLocked(deps, s));
  return {};
}

async function removeLocked(deps: CriDeps, s: SandboxRecord): Promise<void> {
  if (!deps.sandboxes.get(s.id)) return;
  await stopLocked(deps, s);
  for (const c of podContainers(deps, s.id))
    await removeContainer(deps.containers, background(deps.log), c.record.id, { force: true, owner: true }).catch(
      ignoreMissing,
    );
  await removeContainer(deps.containers, background(deps.log), s.id, { force: true, owner: true }).catch(ignoreMissing);
  await deps.sandboxes.delete(s.id);
}

/**
 * After a crash: sandboxes whose infra is no longer running get their network released;
 * engine containers made for a pod that has no record (a crash inside RunPodSandbox or
 * RemovePodSandbox) are removed.
 */
export async function reconcileSandboxes(deps: CriDeps): Promise<void> {
  for (const c of deps.containers.store.list()) {
    const labels = c.record.config.Labels ?? {};
    const pod = labels[TYPE_LABEL] === 'podsandbox' ? c.record.id : labels[SANDBOX_ID_LABEL];
    if (pod && labels[CRI_LABEL] && !deps.sandboxes.get(pod))
      await removeContainer(deps.containers, background(deps.log), c.record.id, { force: true, owner: true }).catch(
        (err) =>
          deps.log.warn('removing an orphaned pod container failed', { container: c.record.id, err: messageOf(err) }),
      );
  }
  for (const s of deps.sandboxes.list()) {
    const infra = deps.containers.store.get(s.id);
    if (s.creating) {
      // RunPodSandbox never answered: nobody knows this ID, so it is undone as a failed run is.
      await deps.locks
        .run(`sandbox:${s.id}`, () => removeLocked(deps, s))
        .catch((err) => deps.log.warn('undoing an unfinished sandbox failed', { sandbox: s.id, err: messageOf(err) }));
      continue;
    }
    if (!infra) {
      await releaseNetwork(deps, s).catch((err) =>
        deps.log.warn('releasing a sandbox network failed', { sandbox: s.id, err: messageOf(err) }),
      );
      await deps.sandboxes.delete(s.id);
      continue;
    }
    if (infra.runtime.state.Status !== 'running') {
      await deps.locks
        .run(`sandbox:${s.id}`, () => stopLocked(deps, s))
        .catch((err) => deps.log.warn('stopping a dead sandbox failed', { sandbox: s.id, err: messageOf(err) }));
    }
  }
}
