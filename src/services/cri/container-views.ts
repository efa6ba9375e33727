// ContainerStatus and ListContainers, read from the engine's container records (config
// and state) and the CRI label that keeps what kubelet sent.
import type { Container } from '../../containers/store.ts';
import type { MountPoint } from '../../containers/types.ts';
import type * as cri from '../../cri-types/api.ts';
import type { CriDeps } from './deps.ts';
import { isoToNs, readCriMeta, SANDBOX_ID_LABEL, TYPE_LABEL } from './labels.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import { criResources } from './resources.ts';

export function criState(c: Container): cri.ContainerState {
  switch (c.runtime.state.Status) {
    case 'created':
      return 'CONTAINER_CREATED';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'CONTAINER_RUNNING';
    case 'exited':
    case 'dead':
      return 'CONTAINER_EXITED';
    default:
      return 'CONTAINER_UNKNOWN';
  }
}

const PROPAGATION: Record<string, cri.MountPropagation> = {
  rslave: 'PROPAGATION_HOST_TO_CONTAINER',
  slave: 'PROPAGATION_HOST_TO_CONTAINER',
  rshared: 'PROPAGATION_BIDIRECTIONAL',
  shared: 'PROPAGATION_BIDIRECTIONAL',
};

export function containerStatus(
  deps: CriDeps,
  req: cri.Decoded<cri.ContainerStatusRequest>,
): cri.ContainerStatusResponse {
  const c = resolveCriContainer(deps, req.container_id);
  const meta = readCriMeta(c.record.config.Labels)!;
  const st = c.runtime.state;
  const state = criState(c);
  const exited = state === 'CONTAINER_EXITED';
  const reason = exited ? (st.OOMKilled ? 'OOMKilled' : st.ExitCode === 0 ? 'Completed' : 'Error') : '';
  const status: cri.ContainerStatus = {
    id: c.record.id,
    metadata: meta.metadata,
    state,
    created_at: meta.createdAt,
    started_at: state === 'CONTAINER_CREATED' ? '0' : isoToNs(st.StartedAt),
    finished_at: exited ? isoToNs(st.FinishedAt) : '0',
    exit_code: exited ? st.ExitCode : 0,
    image: {
      image: meta.image,
      annotations: {},
      user_specified_image: meta.userImage ?? meta.image,
      runtime_handler: '',
    },
    image_ref: meta.imageRef,
    image_id: meta.imageRef,
    reason,
    message: exited ? st.Error : '',
    labels: meta.labels,
    annotations: meta.annotations,
    mounts: (c.record.mounts ?? []).filter((m) => m.Type === 'bind' || m.Type === 'image').map(criMount),
    log_path: meta.logPath,
    resources: { linux: criResources(c.record.hostConfig), windows: null },
  };
  const info: Record<string, string> = {};
  if (req.verbose)
    info.info = JSON.stringify({
      sandboxID: c.record.config.Labels?.[SANDBOX_ID_LABEL] ?? '',
      pid: st.Pid,
      name: c.record.name,
      config: { args: [c.record.path, ...c.record.args], env: c.record.config.Env, tty: c.record.config.Tty },
      hostConfig: c.record.hostConfig,
    });
  return { status, info };
}

/** A bind as kubelet gave it; an image volume with the image it mounts (image_ref: its ID). */
function criMount(m: MountPoint): cri.Mount {
  const base = {
    container_path: m.Destination,
    readonly: !m.RW,
    selinux_relabel: false,
    propagation: PROPAGATION[m.Propagation] ?? 'PROPAGATION_PRIVATE',
  };
  if (m.Type === 'bind') return { ...base, host_path: m.Source };
  return {
    ...base,
    host_path: '',
    image: { image: m.Source, image_ref: m.Source, annotations: {}, user_specified_image: '', runtime_handler: '' },
    image_sub_path: m.Spec.ImageOptions?.Subpath ?? '',
  };
}

function matches(c: Container, f: cri.Decoded<cri.ContainerFilter> | null): boolean {
  if (!f) return true;
  if (f.id && !c.record.id.startsWith(f.id)) return false;
  if (f.state && criState(c) !== f.state.state) return false;
  const sb = c.record.config.Labels?.[SANDBOX_ID_LABEL] ?? '';
  if (f.pod_sandbox_id && !sb.startsWith(f.pod_sandbox_id)) return false;
  const labels = readCriMeta(c.record.config.Labels)?.labels ?? {};
  for (const [k, v] of Object.entries(f.label_selector)) if (labels[k] !== v) return false;
  return true;
}

export function criContainers(deps: CriDeps): Container[] {
  return deps.containers.store
    .list()
    .filter((c) => c.record.config.Labels?.[TYPE_LABEL] === 'container' && readCriMeta(c.record.config.Labels));
}

export function toCriContainer(c: Container): cri.Container {
  const meta = readCriMeta(c.record.config.Labels)!;
  return {
    id: c.record.id,
    pod_sandbox_id: c.record.config.Labels?.[SANDBOX_ID_LABEL] ?? '',
    metadata: meta.metadata,
    image: {
      image: meta.image,
      annotations: {},
      user_specified_image: meta.userImage ?? meta.image,
      runtime_handler: '',
    },
    image_ref: meta.imageRef,
    image_id: meta.imageRef,
    state: criState(c),
    created_at: meta.createdAt,
    labels: meta.labels,
    annotations: meta.annotations,
  };
}

export function listContainers(deps: CriDeps, req: cri.Decoded<cri.ListContainersRequest>): cri.ListContainersResponse {
  return {
    containers: criContainers(deps)
      .filter((c) => matches(c, req.filter))
      .map(toCriContainer),
  };
}
