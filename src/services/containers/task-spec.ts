// What the runtime needs to build a container's OCI spec, from its record: the process,
// host files, mounts (attached by the volume service), network, and a reader of the
// image's files (user resolution).
import { join } from 'node:path';
import type { Container } from '../../containers/store.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { LayerPort, SpecInput } from './ports.ts';
import type { AttachedMounts } from './volume-port.ts';
import { containerEnv } from './env.ts';
import { hostnamePath, hostsPath, resolvConfPath } from './files.ts';
import { sharesHostNetwork } from './network-mode.ts';
import { namespaceModes } from './namespaces.ts';

export function specInputOf(
  deps: { readonly store: ContainerStore; readonly layers: LayerPort },
  c: Container,
  lowers: string[],
  net: { network: SpecInput['network']; env?: string[] } | undefined,
  mounts: Pick<AttachedMounts, 'mounts' | 'rootfsPropagation'>,
): SpecInput {
  const id = c.record.id;
  const dir = deps.store.dir(id);
  const cfg = c.record.config;
  const hc = c.record.hostConfig;
  return {
    id,
    args: [c.record.path, ...c.record.args],
    env: containerEnv(cfg, net?.env),
    cwd: cfg.WorkingDir || '/',
    user: cfg.User ?? '',
    readImageFile: (p) => deps.layers.readFile(lowers, join(dir, 'upper'), p, 1 << 20),
    terminal: Boolean(cfg.Tty),
    hostname: cfg.Hostname ?? id.slice(0, 12),
    domainname: cfg.Domainname ?? '',
    readonlyRootfs: Boolean(hc.ReadonlyRootfs),
    mounts: mounts.mounts,
    rootfsPropagation: mounts.rootfsPropagation,
    hostFiles: { hostname: hostnamePath(dir), hosts: hostsPath(dir), resolvConf: resolvConfPath(dir) },
    network: net?.network ?? (sharesHostNetwork(hc.NetworkMode) && !cfg.NetworkDisabled ? 'host' : 'private'),
    namespaces: namespaceModes(deps, hc),
    init: Boolean(hc.Init),
    hostConfig: hc,
  };
}
