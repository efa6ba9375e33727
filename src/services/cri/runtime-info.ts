// CRI Version, Status and RuntimeConfig: who we are, whether the runtime and the pod
// network are ready, and the cgroup driver (cgroupfs paths, as Berth's containers use).
import type * as cri from '../../cri-types/api.ts';
import { ENGINE_VERSION } from '../system/info.ts';
import type { PodNetwork } from './pod-network.ts';

/** The CRI's own "kubelet API" version string, unchanged since v1alpha2. */
const KUBELET_API_VERSION = '0.1.0';

export function version(): cri.VersionResponse {
  return {
    version: KUBELET_API_VERSION,
    runtime_name: 'berth',
    runtime_version: ENGINE_VERSION,
    runtime_api_version: 'v1',
  };
}

export interface StatusInputs {
  network: PodNetwork;
  /** The settings shown by `crictl info` (verbose). */
  config: Record<string, unknown>;
}

export async function status(i: StatusInputs, req: cri.Decoded<cri.StatusRequest>): Promise<cri.StatusResponse> {
  const net = await i.network.status();
  const conditions: cri.RuntimeCondition[] = [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    { type: 'NetworkReady', status: net.ready, reason: net.reason, message: net.message },
  ];
  const info: Record<string, string> = {};
  if (req.verbose) {
    const list = await i.network.current();
    info.config = JSON.stringify(i.config);
    info.cniconfig = JSON.stringify(list ?? null);
  }
  return {
    status: { conditions },
    info,
    runtime_handlers: [
      { name: '', features: { recursive_read_only_mounts: true, user_namespaces: false } },
      { name: 'runc', features: { recursive_read_only_mounts: true, user_namespaces: false } },
    ],
    // SupplementalGroupsPolicy Strict (no groups from the image's /etc/group) is not
    // implemented: said here, so kubelet does not ask for it, and refused at create.
    features: { supplemental_groups_policy: false },
  };
}

export function runtimeConfig(): cri.RuntimeConfigResponse {
  return { linux: { cgroup_driver: 'CGROUPFS' } };
}
