// RunPodSandbox: the infra container (the sandbox image's catatonit) is created and
// started through the container services with the pod's namespaces, DNS, hostname and
// sysctls. Its network namespace is made first and pinned (pod-network.ts), so CNI ADD
// wires it while the infra starts in it; the record says READY only after both.
// Any failure undoes what was made (CNI DEL, the pinned namespace, infra container, record).
import { hostname as nodeHostname } from 'node:os';
import { invalidArgument, messageOf, notImplemented } from '../../common/errors.ts';
import { withoutCancel, type OpContext } from '../../common/context.ts';
import type * as cri from '../../cri-types/api.ts';
import type { CniConfList, CniResult } from '../../network/cni.ts';
import { cniAdd, cniDel } from '../../network/cni.ts';
import type { SandboxRecord } from '../../pods/store.ts';
import { createContainer } from '../containers/create.ts';
import { removeContainer } from '../containers/remove.ts';
import { startContainer } from '../containers/start.ts';
import type { CriDeps } from './deps.ts';
import { CRI_LABEL, TYPE_LABEL, nowNs, podLabels, sandboxName } from './labels.ts';
import { createPodNetns, podNetnsPath, removePodNetns } from './pod-network.ts';
import { sandboxImage } from './sandbox-image.ts';
import { legacyProfile, securityOpts, userOf } from './security.ts';

type PodConfig = cri.Decoded<cri.PodSandboxConfig>;

export const nsMode = (config: PodConfig, kind: 'network' | 'pid' | 'ipc'): cri.NamespaceMode =>
  config.linux?.security_context?.namespace_options?.[kind] ?? 'POD';

/** The pod's hostname: the one asked for, else the node's (as containerd); '' on the host's network. */
export function podHostname(config: PodConfig): string {
  if (nsMode(config, 'network') === 'NODE') return '';
  return config.hostname || nodeHostname();
}

export function cniAttachment(s: SandboxRecord, netns: string) {
  const m = s.config.metadata!;
  return {
    containerId: s.id,
    netns,
    ifname: 'eth0',
    args: {
      IgnoreUnknown: '1',
      K8S_POD_NAMESPACE: m.namespace,
      K8S_POD_NAME: m.name,
      K8S_POD_INFRA_CONTAINER_ID: s.id,
      K8S_POD_UID: m.uid,
    },
    capabilities: {
      portMappings: s.config.port_mappings
        .filter((p) => p.host_port > 0)
        .map((p) => ({
          hostPort: p.host_port,
          containerPort: p.container_port,
          protocol: (p.protocol || 'TCP').toLowerCase() as 'tcp' | 'udp' | 'sctp',
          ...(p.host_ip ? { hostIP: p.host_ip } : {}),
        })),
    },
  };
}

function validate(config: PodConfig | null): asserts config is PodConfig {
  const m = config?.metadata;
  if (!config || !m?.name || !m.namespace || !m.uid)
    throw invalidArgument('RunPodSandbox: metadata name, namespace and uid are required');
  const sc = config.linux?.security_context;
  if (sc?.namespace_options?.userns_options && sc.namespace_options.userns_options.mode !== 'NODE')
    throw notImplemented('user namespaces for pods are not supported by berthd');
  if (sc?.selinux_options && (sc.selinux_options.type || sc.selinux_options.level))
    throw notImplemented('SELinux labels are not supported by berthd (this host has no SELinux)');
  if (sc?.supplemental_groups_policy === 'Strict')
    throw notImplemented(
      "supplemental_groups_policy Strict is not supported by berthd (the image's groups are always merged)",
    );
}

export async function runPodSandbox(
  deps: CriDeps,
  ctx: OpContext,
  req: cri.Decoded<cri.RunPodSandboxRequest>,
): Promise<cri.RunPodSandboxResponse> {
  const config = req.config;
  validate(config);
  if (req.runtime_handler && req.runtime_handler !== 'runc')
    throw notImplemented(`runtime handler "${req.runtime_handler}" is not configured (berthd has "runc")`);
  const m = config.metadata!;
  const hostNet = nsMode(config, 'network') === 'NODE';
  const image = await sandboxImage(deps, ctx.signal);
  const sc = config.linux?.security_context;
  const dns = config.dns_config;
  const created = await createContainer(deps.containers, ctx, {
    name: sandboxName(m),
    body: {
      Image: image.id,
      Hostname: podHostname(config),
      // The pod's run-as user and groups are the infra's too (containerd's rule).
      User: sc ? userOf(sc) : '',
      Labels: {
        ...config.labels,
        ...podLabels(m),
        'io.kubernetes.container.name': 'POD',
        [TYPE_LABEL]: 'podsandbox',
        [CRI_LABEL]: JSON.stringify({ kind: 'sandbox' }),
      },
      HostConfig: {
        NetworkMode: hostNet ? 'host' : 'none',
        IpcMode: nsMode(config, 'ipc') === 'NODE' ? 'host' : 'shareable',
        PidMode: nsMode(config, 'pid') === 'NODE' ? 'host' : '',
        UTSMode: hostNet ? 'host' : '',
        Dns: dns?.servers ?? [],
        DnsSearch: dns?.searches ?? [],
        DnsOptions: dns?.options ?? [],
        Sysctls: config.linux?.sysctls ?? {},
        ...(config.linux?.cgroup_parent ? { CgroupParent: config.linux.cgroup_parent } : {}),
        ReadonlyRootfs: sc?.readonly_rootfs ?? false,
        Privileged: sc?.privileged ?? false,
        GroupAdd: (sc?.supplemental_groups ?? []).map(String),
        SecurityOpt: securityOpts(
          sc?.privileged ? undefined : (sc?.seccomp ?? legacyProfile(sc?.seccomp_profile_path ?? '')),
          sc?.apparmor,
          false,
        ),
        LogConfig: { Type: 'none', Config: {} },
      },
    },
  });
  const id = created.Id;
  const record: SandboxRecord = {
    schema: 1,
    id,
    createdAt: nowNs(),
    config,
    runtimeHandler: req.runtime_handler,
    state: 'SANDBOX_NOTREADY',
    creating: true,
  };
  let list: CniConfList | undefined;
  let result: CniResult | undefined;
  let netns = '';
  // Under userns-remap the infra's namespace must belong to its user namespace: made by
  // its runtime, wired after it runs (the pin is for namespaces the host's user owns).
  const pinned = !hostNet && !deps.containers.settings.remappedRoot;
  try {
    if (!hostNet) {
      list = await deps.network.current();
      if (!list) throw invalidArgument('no CNI network is configured for pods (NetworkReady is false)');
      // The list (and the pin's path) is recorded before anything is made: a berthd killed
      // from here on leaves a record whose stop or start-up reconciliation runs DEL
      // (plugins accept DEL without a result) and unpins the namespace.
      netns = pinned ? podNetnsPath(id) : '';
      record.network = { netns, list: list as unknown as Record<string, unknown>, ip: '', additionalIps: [] };
    }
    await deps.sandboxes.save(record);
    if (pinned) {
      await createPodNetns(id);
      // Neither waits for the other: the namespace exists, the infra only has to join it.
      const [started, added] = await Promise.allSettled([
        startContainer(deps.containers, ctx, id, { netns }),
        cniAdd(list!, cniAttachment(record, netns), deps.network.binDirs, ctx.signal),
      ]);
      if (added.status === 'fulfilled') result = added.value;
      if (started.status === 'rejected') throw started.reason;
      if (added.status === 'rejected') throw added.reason;
    } else {
      await startContainer(deps.containers, ctx, id);
      if (!hostNet) {
        netns = `/proc/${deps.containers.store.resolve(id).runtime.state.Pid}/ns/net`;
        record.network!.netns = netns;
        await deps.sandboxes.save(record);
        result = await cniAdd(list!, cniAttachment(record, netns), deps.network.binDirs, ctx.signal);
      }
    }
    if (result) {
      const ips = (result.ips ?? []).map((i) => i.address.split('/')[0]);
      record.network = { ...record.network!, result, ip: ips[0] ?? '', additionalIps: ips.slice(1) };
    }
    record.state = 'SANDBOX_READY';
    delete record.creating;
    // Not fsynced: lost to a power cut, the durable `creating` record has start-up undo a
    // pod whose processes died with the machine anyway.
    await deps.sandboxes.save(record, { durable: false });
  } catch (err) {
    deps.log.warn('RunPodSandbox failed; undoing', { sandbox: id, err: messageOf(err) });
    if (list && result) await cniDel(list, cniAttachment(record, netns), deps.network.binDirs, result).catch(() => {});
    await removeContainer(deps.containers, withoutCancel(ctx), id, { force: true, owner: true }).catch(() => {});
    if (pinned) await removePodNetns(netns).catch(() => {});
    await deps.sandboxes.delete(id).catch(() => {});
    throw err;
  }
  return { pod_sandbox_id: id };
}
