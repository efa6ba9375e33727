// POST /containers/create: validate, resolve the image, merge configs, reserve the name,
// prepare the read-write layer and host files, then persist the record.
import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, notFound } from '../../common/errors.ts';
import { newId, validateContainerName } from '../../common/ids.ts';
import { generateName } from '../../common/names.ts';
import { familiarString, parseReference, withDefaultTag } from '../../common/reference.ts';
import { initialState, type ContainerConfig, type ContainerRecord } from '../../containers/types.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import { mergeImageConfig, validateConfig, validateHostConfig } from './validate.ts';
import { resolveLogConfig } from './log-config.ts';
import { writeHostFiles } from './files.ts';
import { isSupportedNetworkMode } from './network-mode.ts';
import { chainIds } from '../../common/digest.ts';
import type { MountPoint } from '../../containers/types.ts';
import { validatePorts } from '../networks/publish.ts';
import { remappedRootOf } from './userns.ts';
import type { ContainerCreateBody, ContainerCreateResponse } from '../../api/types/containers.ts';
import { adaptHostConfig, isMacAddress, type SettingsContext, verifyContainerSettings } from './validate-settings.ts';
import type { EndpointConfig } from '../../containers/types.ts';

export interface CreateRequest {
  name?: string;
  body: ContainerCreateBody;
}

export type CreateDeps = Pick<
  ContainerDeps,
  'store' | 'images' | 'layers' | 'network' | 'events' | 'host' | 'settings' | 'volumes'
>;

/** What create and update check requests against: the host, the other containers, the runtimes. */
export function settingsContext(deps: Pick<ContainerDeps, 'store' | 'host' | 'settings'>): SettingsContext {
  return {
    facts: deps.host,
    resolveContainer: (x) => deps.store.resolve(x).record.id,
    runtimes: ['runc', ...(deps.settings.runtimes ?? [])],
    usernsRemap: Boolean(deps.settings.remappedRoot),
  };
}

/** A MAC address that does not parse is refused per network, in dockerd's words. */
function checkMacAddresses(legacy: unknown, networkMode: string, endpoints: Record<string, EndpointConfig>): void {
  const bad = (net: string, mac: string) =>
    invalidArgument(`invalid config for network ${net}: invalid MAC address ${mac}`);
  if (typeof legacy === 'string' && legacy !== '' && !isMacAddress(legacy))
    throw bad(networkMode === 'default' || networkMode === '' ? 'bridge' : networkMode, legacy);
  for (const [net, ep] of Object.entries(endpoints))
    if (ep?.MacAddress && !isMacAddress(ep.MacAddress)) throw bad(net, ep.MacAddress);
}

/**
 * Under userns-remap the read-write layer and the host files belong to the container's
 * root as the host sees it (dockerd chowns them so), so root inside may write them; the
 * image layers below stay as they are (idmapped at mount).
 */
async function ownByRemappedRoot(dir: string, root: { uid: number; gid: number }): Promise<void> {
  for (const name of ['upper', 'work', 'hostname', 'hosts', 'resolv.conf'])
    await chown(join(dir, name), root.uid, root.gid);
}

function pickName(deps: CreateDeps, requested: string | undefined): string {
  if (requested !== undefined && requested !== '') return validateContainerName(requested);
  for (let i = 0; i < 100; i++) {
    const n = generateName(i > 10 ? 1 : 0);
    if (!deps.store.nameTaken(n)) return n;
  }
  throw invalidArgument('could not generate a free container name');
}

/** The familiar name to show for an image the user named (busybox → busybox:latest). */
function imageDisplayName(input: string): string {
  try {
    return familiarString(withDefaultTag(parseReference(input)));
  } catch {
    return input;
  }
}

/** A client that hangs up before the record is written cancels the create (its files and name go). */
export async function createContainer(
  deps: CreateDeps,
  ctx: OpContext,
  req: CreateRequest,
): Promise<ContainerCreateResponse> {
  const { HostConfig: hostConfigIn = {}, NetworkingConfig: networking, ...cfgIn } = req.body;
  validateConfig(cfgIn);
  const hostConfig = validateHostConfig(
    hostConfigIn,
    (m) => isSupportedNetworkMode(m) || m.startsWith('container:') || Boolean(deps.network?.exists(m)),
  );
  hostConfig.LogConfig = resolveLogConfig(hostConfig.LogConfig, deps.settings);
  const mode = hostConfig.NetworkMode || 'default';
  if (mode.startsWith('container:')) deps.store.resolve(mode.slice('container:'.length));
  const netCfg = { ...networking?.EndpointsConfig };
  if (netCfg.default) {
    // "default" is the default bridge, unless the daemon runs without one (--bridge none).
    if (!deps.network || deps.network.exists('bridge')) netCfg.bridge = netCfg.default;
    delete netCfg.default;
  }
  deps.network?.checkEndpoints(netCfg);
  validatePorts(hostConfig, cfgIn.ExposedPorts ?? undefined);
  checkMacAddresses(cfgIn.MacAddress, hostConfig.NetworkMode ?? '', netCfg);
  const settings = settingsContext(deps);
  const warnings = verifyContainerSettings(settings, cfgIn, hostConfig);
  const imageName = cfgIn.Image;
  if (!imageName) throw invalidArgument('Config cannot be empty in order to create a container');
  const image = deps.images.tryResolve(imageName);
  if (!image) throw notFound(`No such image: ${imageDisplayName(imageName)}`);

  const config: ContainerConfig = mergeImageConfig({ ...cfgIn, Image: imageName }, image.doc.config ?? {});
  const entry = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (entry.length === 0) throw invalidArgument('No command specified');
  const wd = config.WorkingDir ?? '';
  if (wd && !wd.startsWith('/'))
    throw invalidArgument(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
  // CVE-2024-21626: a cwd under a process's fds can land on a host directory runc leaked.
  if (/^\/+proc\/+(self|thread-self|\d+)\/+(task\/+\d+\/+)?fd(\/|$)/.test(wd))
    throw invalidArgument(`the working directory '${wd}' is not allowed: it is a process's file descriptor`);
  if (config.StopTimeout !== undefined && config.StopTimeout !== null && config.StopTimeout < -1) {
    throw invalidArgument(`invalid stop timeout: ${config.StopTimeout}`);
  }

  adaptHostConfig(settings, hostConfig);
  const id = newId();
  const name = pickName(deps, req.name);
  config.Hostname = config.Hostname || id.slice(0, 12);
  deps.store.reserveName(name, id);
  const dir = deps.store.dir(id);
  let mounts: MountPoint[] | undefined;
  try {
    const chain = chainIds(image.doc.rootfs.diff_ids);
    const lowers = chain.length > 0 ? deps.layers.lowerDirs(chain[chain.length - 1]) : [];
    mounts = await deps.volumes.prepare({ id, config, hostConfig, lowers });
    await mkdir(dir, { recursive: true, mode: 0o710 });
    await deps.layers.prepareRw(dir);
    await writeHostFiles({
      dir,
      hostname: config.Hostname,
      domainname: config.Domainname,
      networkMode: hostConfig.NetworkMode || 'default',
      extraHosts: hostConfig.ExtraHosts ?? [],
      dns: hostConfig.Dns ?? [],
      dnsSearch: hostConfig.DnsSearch ?? [],
      dnsOptions: hostConfig.DnsOptions ?? [],
    });
    const root = remappedRootOf(deps.settings, hostConfig);
    if (root) await ownByRemappedRoot(dir, root);
    ctx.signal.throwIfAborted();
    const record: ContainerRecord = {
      schema: 1,
      id,
      name,
      created: new Date().toISOString(),
      path: entry[0],
      args: entry.slice(1),
      config,
      hostConfig,
      image: image.id,
      logPath: join(dir, `${id}-json.log`),
      ...(Object.keys(netCfg).length ? { endpointsConfig: netCfg } : {}),
      mounts,
      ...(root ? { remappedRoot: root } : {}),
    };
    await deps.store.add({ record, runtime: initialState() });
  } catch (err) {
    deps.store.releaseName(name, id);
    await rm(dir, { recursive: true, force: true });
    if (mounts) await deps.volumes.abandon(id, mounts).catch(() => {});
    throw err;
  }
  deps.events.publish('container', 'create', id);
  return { Id: id, Warnings: warnings };
}
