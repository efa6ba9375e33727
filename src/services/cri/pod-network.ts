// The pods' network configuration: the CNI network list in the conf dir (Berth writes a
// default bridge + host-local + portmap list when the dir has none), whether it is usable
// (NetworkReady), and the pod CIDR kubelet may set through UpdateRuntimeConfig.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import { loadConfList, missingPlugins, type CniConfList } from '../../network/cni.ts';
import { parseCidr } from '../../network/cidr.ts';
import { createNetnsWithLoopback, netnsPath, teardown } from '../../network/links.ts';
import { writeFileAtomic } from '../../sys/atomic.ts';

/** Name of the network in the list Berth writes; a list of another name is never rewritten. */
export const DEFAULT_NETWORK = 'berth-pods';
export const DEFAULT_CONF_FILE = '10-berth-pods.conflist';

export interface PodNetworkSettings {
  confDir: string;
  binDirs: string[];
  /** Bridge and subnet of the default list (tests give each daemon its own). */
  bridge: string;
  subnet: string;
  /** Where host-local keeps its allocations (under the data root, apart from other runtimes). */
  ipamDir: string;
}

export function defaultConfList(s: PodNetworkSettings, subnet: string): object {
  return {
    cniVersion: '1.0.0',
    name: DEFAULT_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: s.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: s.ipamDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Where a pod's network namespace is pinned (a bind mount of its nsfs file, as `ip netns`
 * makes): CNI wires it while the infra starts in it, and DEL still finds it after the infra
 * is gone. A sandbox record made before this (`/proc/<pid>/ns/net`) is not pinned.
 */
export const podNetnsPath = (sandboxId: string) => netnsPath(`berth-pod-${sandboxId}`);
export const isPinnedNetns = (path: string) => path.startsWith(netnsPath('berth-pod-'));

/** Makes a pod's namespace (loopback up) at podNetnsPath(id). */
export const createPodNetns = (sandboxId: string) => createNetnsWithLoopback(`berth-pod-${sandboxId}`);

/** Unpins a pod's namespace (idempotent); the kernel frees it with its last process. */
export const removePodNetns = (path: string) => teardown(path, []);

export class PodNetwork {
  private readonly s: PodNetworkSettings;
  private podCidr = '';

  constructor(s: PodNetworkSettings) {
    this.s = s;
  }

  get binDirs(): string[] {
    return this.s.binDirs;
  }

  /** Writes the default list when the conf dir holds no network. */
  async init(): Promise<void> {
    if (await loadConfList(this.s.confDir)) return;
    await this.writeDefault(this.s.subnet);
  }

  private async writeDefault(subnet: string): Promise<void> {
    await mkdir(this.s.confDir, { recursive: true, mode: 0o755 });
    await mkdir(this.s.ipamDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(
      join(this.s.confDir, DEFAULT_CONF_FILE),
      JSON.stringify(defaultConfList(this.s, subnet), null, 2) + '\n',
    );
  }

  /** The list new pods get (read each time: an administrator may change the dir). */
  async current(): Promise<CniConfList | undefined> {
    return loadConfList(this.s.confDir);
  }

  /** NetworkReady: a list exists and all its plugins are installed. */
  async status(): Promise<{ ready: boolean; reason: string; message: string }> {
    const list = await this.current();
    if (!list)
      return { ready: false, reason: 'NetworkPluginNotReady', message: `no CNI configuration in ${this.s.confDir}` };
    const missing = await missingPlugins(list, this.s.binDirs);
    if (missing.length)
      return {
        ready: false,
        reason: 'NetworkPluginNotReady',
        message: `CNI plugins not found in ${this.s.binDirs.join(':')}: ${missing.join(', ')}`,
      };
    return { ready: true, reason: '', message: '' };
  }

  /** kubelet's pod CIDR: our own default list is rewritten for it; another list is left alone. */
  async setPodCidr(cidr: string): Promise<void> {
    if (!cidr || cidr === this.podCidr) return;
    const first = cidr.split(',')[0].trim();
    if (first.includes(':')) throw invalidArgument(`pod CIDR ${first}: IPv6 pod networks are not supported`);
    parseCidr(first);
    const list = await this.current();
    if (list && list.name !== DEFAULT_NETWORK) return;
    await this.writeDefault(first);
    this.podCidr = cidr;
  }
}
