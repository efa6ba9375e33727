// StopPodSandbox and RemovePodSandbox. Stop kills every container of the pod and its infra
// (all at once: the namespaces they share are pinned or held by each of them), meanwhile
// releases the network through CNI DEL (once: the record remembers) and unpins its
// namespace; remove also removes the containers, the infra and the record.
// Both are idempotent, and an unknown sandbox is success, as the CRI requires. Neither is
// cut short by a client that hangs up: a pod half stopped would hold its network.
import { background } from '../../common/context.ts';
import { isKind, messageOf } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type * as cri from '../../cri-types/api.ts';
import { cniDel, type CniConfList, type CniResult } from '../../network/cni.ts';
import type { SandboxRecord } from '../../pods/store.ts';
import { isMounted } from '../../sys/mountinfo.ts';
import { removeContainer } from '../containers/remove.ts';
import { stopContainer } from '../containers/stop.ts';
import type { CriDeps } from './deps.ts';
import { CRI_LABEL, SANDBOX_ID_LABEL, TYPE_LABEL } from './labels.ts';
import { isPinnedNetns, removePodNetns } from './pod-network.ts';
import { cniAttachment } from './sandbox-run.ts';

export function podContainers(deps: CriDeps, sandboxId: string): Container[] {
  return deps.containers.store.list().filter((c) => c.record.config.Labels?.[SANDBOX_ID_LABEL] === sandboxId);
}

const ignoreMissing = (err: unknown) => {
  if (!isKind(err, 'not-found') && !isKind(err, 'not-modified')) throw err;
};

/**
 * CNI DEL for a sandbox whose network is still held, then its namespace unpinned; the
 * record is saved released (a crash before that runs both again: each is idempotent).
 */
export async function releaseNetwork(deps: CriDeps, s: SandboxRecord): Promise<void> {
  const n = s.network;
  if (!n || n.released) return;
  const pinned = isPinnedNetns(n.netns);
  // A namespace that is gone (a pin never made; an unpinned record's infra has exited):
  // DEL still releases the address by ID.
  const held = pinned ? isMounted(n.netns) : deps.containers.store.get(s.id)?.runtime.state.Status === 'running';
  await cniDel(
    n.list as unknown as CniConfList,
    cniAttachment(s, held ? n.netns : ''),
    deps.network.binDirs,
    n.result as CniResult | undefined,
  );
  if (pinned) await removePodNetns(n.netns);
  n.released = true;
  // Not fsynced: lost to a power cut, DEL and the unpinning just run again.
  await deps.sandboxes.save(s, { durable: false });
}

async function stopLocked(deps: CriDeps, s: SandboxRecord): Promise<void> {
  const stop = (id: string) =>
    stopContainer(deps.containers, background(deps.log), id, { timeout: 0 }).catch(ignoreMissing);
  if (s.network && isPinnedNetns(s.network.netns)) {
    // The pinned namespace outlives the pod's processes: DEL runs while they are killed.
    const processes = Promise.all([...podContainers(deps, s.id).map((c) => stop(c.record.id)), stop(s.id)]);
    const [killed, released] = await Promise.allSettled([processes, releaseNetwork(deps, s)]);
    if (killed.status === 'rejected') throw killed.reason;
    if (released.status === 'rejected') throw released.reason;
  } else {
    // DEL needs the infra's namespace, which goes with it.
    await Promise.all(podContainers(deps, s.id).map((c) => stop(c.record.id)));
    await releaseNetwork(deps, s);
    await stop(s.id);
  }
  if (s.state !== 'SANDBOX_NOTREADY') {
    s.state = 'SANDBOX_NOTREADY';
    await deps.sandboxes.save(s, { durable: false }); // lost: start-up finds the infra stopped
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
  await Promise.all(
    podContainers(deps, s.id).map((c) =>
      removeContainer(deps.containers, background(deps.log), c.record.id, { force: true, owner: true }).catch(
        ignoreMissing,
      ),
    ),
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
