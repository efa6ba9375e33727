// CreateContainer: the CRI's ContainerConfig becomes an engine create request (the Docker
// API's shape), joined to its sandbox's network, IPC, UTS and (per its options) PID
// namespaces, with its log in the CRI format at the path kubelet chose. What Berth cannot
// do yet is refused by name.
import { join } from 'node:path';
import { invalidArgument, notFound, notImplemented } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type * as cri from '../../cri-types/api.ts';
import type { HostConfigMount as Mount, Propagation } from '../../api/types/mounts.ts';
import type { DeviceMapping } from '../../api/types/containers.ts';
import { createContainer as createEngineContainer } from '../containers/create.ts';
import type { CriDeps } from './deps.ts';
import { findImage } from './images.ts';
import {
  CRI_LABEL,
  LOG_PATH_LABEL,
  SANDBOX_ID_LABEL,
  TYPE_LABEL,
  containerName,
  nowNs,
  podLabels,
  type CriContainerMeta,
} from './labels.ts';
import { nsMode, podHostname } from './sandbox-run.ts';
import { hostConfigResources } from './resources.ts';
import { legacyProfile, securityOpts, userOf } from './security.ts';

const PROPAGATION: Record<cri.MountPropagation, Propagation> = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
};

/**
 * A CRI mount as the engine's Mount: a bind, where a missing host path is made (as
 * containerd and kubelet's hostPath expect) and read-only is non-recursive unless
 * recursive_read_only asks; or an image volume.
 */
function mountOf(deps: CriDeps, m: cri.Decoded<cri.Mount>): Mount {
  if (m.uidMappings.length || m.gidMappings.length)
    throw notImplemented(`mount ${m.container_path}: ID-mapped mounts are not supported by berthd`);
  if (m.mount_options.length)
    throw notImplemented(
      `mount ${m.container_path}: mount_options (${m.mount_options.join(',')}) are not supported by berthd`,
    );
  if (m.image?.image) return imageVolumeOf(deps, m, m.image.image);
  if (!m.host_path.startsWith('/') || !m.container_path.startsWith('/'))
    throw invalidArgument(`mount ${m.host_path}:${m.container_path}: both paths must be absolute`);
  const propagation = PROPAGATION[m.propagation] ?? 'rprivate';
  if (m.recursive_read_only) {
    if (!m.readonly) throw invalidArgument(`mount ${m.container_path}: recursive_read_only needs readonly`);
    if (propagation !== 'rprivate')
      throw invalidArgument(`mount ${m.container_path}: recursive_read_only needs private propagation`);
  }
  // selinux_relabel: this host has no SELinux, so there is nothing to relabel.
  return {
    Type: 'bind',
    Source: m.host_path,
    Target: m.container_path,
    ReadOnly: m.readonly,
    BindOptions: {
      Propagation: propagation,
      CreateMountpoint: true,
      ...(m.readonly
        ? m.recursive_read_only
          ? { ReadOnlyForceRecursive: true }
          : { ReadOnlyNonRecursive: true }
        : {}),
    },
  };
}

/**
 * An image volume (KEP-4639): the image kubelet pulled, mounted read-only at the path (or
 * its image_sub_path, which must be in the image: checked at create).
 */
function imageVolumeOf(deps: CriDeps, m: cri.Decoded<cri.Mount>, ref: string): Mount {
  if (!m.container_path.startsWith('/'))
    throw invalidArgument(`image volume ${m.container_path}: the container path must be absolute`);
  if (!m.readonly)
    throw invalidArgument(`image volume ${m.container_path}: must be read-only (an image is never written)`);
  if (m.propagation !== 'PROPAGATION_PRIVATE')
    throw invalidArgument(`image volume ${m.container_path}: propagation must be private, not ${m.propagation}`);
  if (m.host_path) throw invalidArgument(`image volume ${m.container_path}: host_path must be empty`);
  const image = findImage(deps.images, ref);
  if (!image) throw notFound(`image volume ${m.container_path}: image "${ref}" not found: pull it first`);
  return {
    Type: 'image',
    Source: image.id,
    Target: m.container_path,
    ReadOnly: true,
    ...(m.image_sub_path ? { ImageOptions: { Subpath: m.image_sub_path } } : {}),
  };
}

/** A host device node in the container, with its cgroup access ("rwm" when unsaid). */
function deviceOf(d: cri.Decoded<cri.Device>): DeviceMapping {
  if (!d.host_path.startsWith('/')) throw invalidArgument(`device ${d.host_path}: the host path must be absolute`);
  return {
    PathOnHost: d.host_path,
    PathInContainer: d.container_path || d.host_path,
    CgroupPermissions: d.permissions || 'rwm',
  };
}

function pidMode(sc: cri.Decoded<cri.LinuxContainerSecurityContext> | null, sandboxId: string, deps: CriDeps): string {
  const o = sc?.namespace_options;
  switch (o?.pid ?? 'CONTAINER') {
    case 'NODE':
      return 'host';
    case 'POD':
      return `container:${sandboxId}`;
    case 'TARGET': {
      const target = deps.containers.store.tryResolve(o!.target_id);
      if (!target) throw notFound(`target container ${o!.target_id} not found`);
      return `container:${target.record.id}`;
    }
    default:
      return '';
  }
}

/**
 * What a container may not ask for here, refused by name: CDI devices, ambient
 * capabilities, its own user namespace, a network other than its pod's, a Strict
 * supplemental groups policy, SELinux labels; a privileged one needs a privileged pod.
 */
function checkSupported(
  config: cri.Decoded<cri.ContainerConfig>,
  sc: cri.Decoded<cri.LinuxContainerSecurityContext> | null,
  pod: cri.Decoded<cri.PodSandboxConfig>,
): void {
  if (config.CDI_devices.length)
    throw notImplemented(
      `CDI devices (${config.CDI_devices.map((d) => d.name).join(', ')}) are not supported by berthd: it has no CDI registry`,
    );
  if (sc?.capabilities?.add_ambient_capabilities.length)
    throw notImplemented('ambient capabilities (add_ambient_capabilities) are not supported by berthd');
  const userns = sc?.namespace_options?.userns_options;
  if (userns && userns.mode !== 'NODE')
    throw notImplemented('user namespaces for containers are not supported by berthd');
  // A container is in its pod's network namespace; POD (the proto default) means just
  // that whatever the pod's mode, anything else it cannot have.
  const podNet = nsMode(pod, 'network');
  const ctrNet = sc?.namespace_options?.network ?? 'POD';
  if (ctrNet !== 'POD' && ctrNet !== podNet)
    throw invalidArgument(`the container's network namespace (${ctrNet}) must be its pod's (${podNet})`);
  if (sc?.supplemental_groups_policy === 'Strict')
    throw notImplemented(
      "supplemental_groups_policy Strict is not supported by berthd (the image's groups are always merged)",
    );
  // A privileged container needs a privileged pod (kubelet checks it too).
  if (sc?.privileged && !pod.linux?.security_context?.privileged)
    throw invalidArgument('a privileged container needs a privileged pod sandbox');
  if (sc?.selinux_options && (sc.selinux_options.type || sc.selinux_options.level))
    throw notImplemented('SELinux labels are not supported: this host has no SELinux');
}

export async function createContainer(
  deps: CriDeps,
  ctx: OpContext,
  req: cri.Decoded<cri.CreateContainerRequest>,
): Promise<cri.CreateContainerResponse> {
  const s = deps.sandboxes.resolve(req.pod_sandbox_id);
  const config = req.config;
  if (!config?.metadata?.name) throw invalidArgument('CreateContainer: config.metadata.name is required');
  const imageName = config.image?.image ?? '';
  const image = findImage(deps.images, imageName);
  if (!image) throw notFound(`image "${imageName}" not found: pull it first`);
  const linux = config.linux;
  const sc = linux?.security_context ?? null;
  checkSupported(config, sc, s.config);
  const podNet = nsMode(s.config, 'network');
  const pod = s.config.metadata!;
  const logPath = s.config.log_directory && config.log_path ? join(s.config.log_directory, config.log_path) : '';
  const meta: CriContainerMeta = {
    metadata: { name: config.metadata.name, attempt: config.metadata.attempt },
    labels: config.labels,
    annotations: config.annotations,
    image: imageName,
    imageRef: image.id,
    ...(config.image?.user_specified_image ? { userImage: config.image.user_specified_image } : {}),
    logPath,
    createdAt: nowNs(),
  };
  const hostNet = podNet === 'NODE';
  const ipc = sc?.namespace_options?.ipc ?? nsMode(s.config, 'ipc');
  const created = await createEngineContainer(deps.containers, ctx, {
    name: containerName(config.metadata, pod),
    body: {
      Image: image.id,
      ...(config.command.length ? { Entrypoint: config.command } : {}),
      ...(config.args.length ? { Cmd: config.args } : {}),
      Env: config.envs.map((e) => `${e.key}=${e.value}`),
      WorkingDir: config.working_dir,
      // The pod's UTS namespace and /etc files: the container says what the pod says.
      Hostname: podHostname(s.config),
      Tty: config.tty,
      ...(config.stop_signal !== 'SIGNAL_RUNTIME_DEFAULT'
        ? { StopSignal: config.stop_signal.slice('SIGNAL_'.length) }
        : {}),
      OpenStdin: config.stdin,
      StdinOnce: config.stdin_once,
      AttachStdin: config.stdin,
      User: sc ? userOf(sc) : '',
      Labels: {
        ...podLabels(pod),
        'io.kubernetes.container.name': config.metadata.name,
        [TYPE_LABEL]: 'container',
        [SANDBOX_ID_LABEL]: s.id,
        [LOG_PATH_LABEL]: logPath,
        [CRI_LABEL]: JSON.stringify(meta),
      },
      HostConfig: {
        NetworkMode: `container:${s.id}`,
        IpcMode: ipc === 'NODE' ? 'host' : `container:${s.id}`,
        PidMode: pidMode(sc, s.id, deps),
        UTSMode: hostNet ? 'host' : `container:${s.id}`,
        Mounts: config.mounts.map((m) => mountOf(deps, m)),
        Devices: config.devices.map(deviceOf),
        Dns: s.config.dns_config?.servers ?? [],
        DnsSearch: s.config.dns_config?.searches ?? [],
        DnsOptions: s.config.dns_config?.options ?? [],
        ReadonlyRootfs: sc?.readonly_rootfs ?? false,
        Privileged: sc?.privileged ?? false,
        // kubelet sends the runtime's defaults or, for an unmasked /proc, none: an empty
        // list leaves the engine's defaults (proto3 cannot tell empty from absent).
        ...(sc?.masked_paths.length ? { MaskedPaths: sc.masked_paths } : {}),
        ...(sc?.readonly_paths.length ? { ReadonlyPaths: sc.readonly_paths } : {}),
        CapAdd: sc?.capabilities?.add_capabilities ?? [],
        CapDrop: sc?.capabilities?.drop_capabilities ?? [],
        GroupAdd: (sc?.supplemental_groups ?? []).map(String),
        // A privileged container runs without seccomp whatever profile it names (containerd, moby).
        SecurityOpt: securityOpts(
          sc?.privileged ? undefined : (sc?.seccomp ?? legacyProfile(sc?.seccomp_profile_path ?? '')),
          sc?.apparmor ?? legacyProfile(sc?.apparmor_profile ?? ''),
          sc?.no_new_privs ?? false,
        ),
        ...(s.config.linux?.cgroup_parent ? { CgroupParent: s.config.linux.cgroup_parent } : {}),
        ...hostConfigResources(linux?.resources ?? null),
        // No dual-logging cache: kubelet and crictl read the CRI file itself.
        LogConfig: logPath
          ? { Type: 'cri', Config: { path: logPath, 'cache-disabled': 'true' } }
          : { Type: 'none', Config: {} },
      },
    },
  });
  return { container_id: created.Id };
}
