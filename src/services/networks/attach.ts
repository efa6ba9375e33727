// A container's endpoints over a task's life: at start, addresses are allocated (and
// persisted) for every network it is connected to, its namespace is made with one veth
// per network, ports are published and /etc files written; when the task is gone, all of
// it is released. Reconciliation after a crash releases whatever belongs to no live task.
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import { allocate, type Pool } from '../../network/ipam.ts';
import { formatIp, macFor, parseIp, parseSubnet } from '../../network/ipv4.ts';
import { deleteLinks, listLinks, listNetns, netnsPath, setup, teardown, type Attachment } from '../../network/links.ts';
import type { EndpointRecord, NetworkRecord } from '../../network/store.ts';
import { allocatePorts } from './publish.ts';
import { writeEtcFiles } from './etc-files.ts';
import { linkEnv, type ResolvedLink } from './link-env.ts';
import type { NetworkDeps } from './deps.ts';

export const nsName = (deps: NetworkDeps, id: string) => `${deps.settings.netnsPrefix}${id.slice(0, 12)}`;

export function poolOf(n: NetworkRecord): Pool {
  const subnet = parseSubnet(n.ipam!.subnet);
  return { subnet, range: n.ipam!.ipRange ? parseSubnet(n.ipam!.ipRange) : subnet, gateway: parseIp(n.ipam!.gateway)! };
}

/** The networks a container is connected to, its primary one first. */
export function connectedNetworks(c: Container): string[] {
  const mode = c.record.hostConfig.NetworkMode || 'default';
  const primary = mode === 'default' ? 'bridge' : mode;
  if (primary === 'host' || primary === 'none' || primary.startsWith('container:')) return [];
  return [...new Set([...(c.record.primaryDetached ? [] : [primary]), ...Object.keys(c.record.endpointsConfig ?? {})])];
}

export const isUserDefined = (n: NetworkRecord) => n.driver === 'bridge' && !n.builtin;

/** Allocates an endpoint synchronously (so concurrent starts never share an address). */
export function newEndpoint(deps: NetworkDeps, c: Container, n: NetworkRecord, ifname: string): EndpointRecord {
  if (n.driver !== 'bridge') throw invalidArgument(`container cannot be connected to network ${n.name}`);
  const ec = c.record.endpointsConfig?.[n.name] ?? c.record.endpointsConfig?.[n.id] ?? {};
  const want = ec.IPAMConfig?.IPv4Address || undefined;
  if (want && !isUserDefined(n))
    throw invalidArgument('user specified IP address is supported on user defined networks only');
  const ip = allocate(poolOf(n), deps.store.usedIps(n.id), deps.store.cursor.get(n.id) ?? 0, want);
  deps.store.cursor.set(n.id, ip);
  const mac =
    ec.MacAddress || (ifname === 'eth0' ? (c.record.config as { MacAddress?: string }).MacAddress : '') || macFor(ip);
  const names = isUserDefined(n) ? [c.record.name, ...(ec.Aliases ?? []), c.record.id.slice(0, 12)] : [];
  const e: EndpointRecord = {
    container: c.record.id,
    network: n.id,
    names,
    ip: formatIp(ip),
    mac,
    ifname,
    hostIf: `${deps.settings.vethPrefix}${randomBytes(4).toString('hex')}`,
    netns: netnsPath(nsName(deps, c.record.id)),
    ports: [],
    created: new Date().toISOString(),
  };
  void deps.store.putEndpoint(e).catch(() => {}); // in memory now; persisted again below
  return e;
}

export function attachmentOf(n: NetworkRecord, e: EndpointRecord, withRoute: boolean): Attachment {
  const prefix = n.ipam!.subnet.split('/')[1];
  return {
    bridge: n.bridge!,
    hostIf: e.hostIf,
    ifname: e.ifname,
    address: `${e.ip}/${prefix}`,
    mac: e.mac,
    mtu: n.mtu ?? 1500,
    ...(withRoute && !n.internal ? { gateway: n.ipam!.gateway } : {}),
  };
}

/** Sets up a container's namespace for a task that is about to start. */
export async function attachContainer(deps: NetworkDeps, c: Container, dir: string): Promise<void> {
  const id = c.record.id;
  await releaseContainer(deps, id);
  const nets = connectedNetworks(c).map((n) => deps.store.resolve(n));
  const eps: EndpointRecord[] = [];
  try {
    for (const [i, n] of nets.entries()) eps.push(newEndpoint(deps, c, n, `eth${i}`));
    if (
      eps.length &&
      ((c.record.hostConfig.PortBindings && Object.keys(c.record.hostConfig.PortBindings).length) ||
        c.record.hostConfig.PublishAllPorts)
    ) {
      await deps.locks.run('network:ports', async () => {
        eps[0].ports = await allocatePorts(
          c.record.hostConfig,
          c.record.config.ExposedPorts ?? undefined,
          deps.store.endpoints().flatMap((e) => e.ports),
        );
      });
    }
    await Promise.all(eps.map((e) => deps.store.putEndpoint(e)));
    await setup(
      netnsPath(nsName(deps, id)),
      eps.map((e, i) => attachmentOf(nets[i], e, i === 0)),
      true,
      true,
    );
    const bridge = deps.store.networks().find((n) => n.name === 'bridge');
    await writeEtcFiles(deps, {
      dir,
      c,
      ip: eps[0]?.ip,
      hostGateway: bridge?.ipam?.gateway ?? '',
      dnsServer: nets[0] && isUserDefined(nets[0]) ? nets[0].ipam!.gateway : undefined,
      links: resolveLinks(deps, c, nets),
    });
    if (eps.some((e) => e.ports.length)) await deps.syncFirewall();
  } catch (err) {
    await releaseContainer(deps, id).catch(() => {});
    throw err;
  }
}

/** `--link name:alias`: the target's address on a network both share. */
export function resolveLinks(deps: NetworkDeps, c: Container, nets: NetworkRecord[]): ResolvedLink[] {
  const links = (c.record.hostConfig.Links as string[] | null | undefined) ?? [];
  return links.map((l) => {
    const [target, alias] = l.replace(/^\//, '').split(':');
    const t = deps.containers.tryResolve(target);
    if (!t) throw invalidArgument(`could not get container for ${target}`);
    const ep = nets.map((n) => deps.store.endpoint(t.record.id, n.id)).find(Boolean);
    if (!ep)
      throw invalidArgument(
        `Cannot link to a non running container: /${t.record.name} AS /${c.record.name}/${alias ?? target}`,
      );
    return { ip: ep.ip, alias: (alias ?? t.record.name).replace(/^.*\//, ''), name: t.record.name, target: t };
  });
}

/** Docker's link variables for every `--link` (resolved as the /etc/hosts entries are). */
export function linkEnvironment(deps: NetworkDeps, c: Container): string[] {
  if (!(c.record.hostConfig.Links as string[] | null | undefined)?.length) return [];
  const nets = connectedNetworks(c).map((n) => deps.store.resolve(n));
  return resolveLinks(deps, c, nets).flatMap((l) => linkEnv(c.record.name, l));
}

/** Removes a container's namespace, veths, addresses and published ports. Idempotent. */
export async function releaseContainer(deps: NetworkDeps, id: string): Promise<void> {
  const eps = deps.store.endpointsOf(id);
  const ns = netnsPath(nsName(deps, id));
  const nsExists = await stat(ns).then(
    () => true,
    () => false,
  );
  if (!eps.length && !nsExists) return;
  await teardown(
    ns,
    eps.map((e) => e.hostIf),
  );
  await Promise.all(eps.map((e) => deps.store.deleteEndpoint(e.container, e.network)));
  if (eps.some((e) => e.ports.length)) await deps.syncFirewall();
}

/** The namespace of a running container for `--network container:<id>`. */
export function sharedNetns(deps: NetworkDeps, target: Container): string {
  if (target.runtime.state.Status !== 'running')
    throw conflict(`cannot join network namespace of a non running container: ${target.record.id}`);
  return deps.store.endpointsOf(target.record.id).length
    ? netnsPath(nsName(deps, target.record.id))
    : `/proc/${target.runtime.state.Pid}/ns/net`;
}

/**
 * After a crash: endpoints, namespaces and veths of containers with no live task are
 * released. Anything made since `since` (this daemon's own starts) is left alone.
 */
export async function reconcileNetworks(
  deps: NetworkDeps,
  running: (id: string) => boolean,
  since: number,
): Promise<void> {
  const fresh = (e: EndpointRecord) => Date.parse(e.created) >= since;
  const stale = new Set(
    deps.store
      .endpoints()
      .filter((e) => !running(e.container) && !fresh(e))
      .map((e) => e.container),
  );
  for (const id of stale)
    await releaseContainer(deps, id).catch((err) =>
      deps.log.warn('releasing a stale endpoint failed', { container: id, err }),
    );
  const keep = new Set(deps.store.endpoints().map((e) => nsName(deps, e.container)));
  for (const c of deps.containers.list()) if (running(c.record.id)) keep.add(nsName(deps, c.record.id));
  const orphanNs = (await listNetns(deps.settings.netnsPrefix)).filter((p) => !keep.has(p.split('/').pop()!));
  const hostIfs = new Set(deps.store.endpoints().map((e) => e.hostIf));
  const orphanIfs = (await listLinks(deps.settings.vethPrefix)).filter((l) => !hostIfs.has(l));
  for (const p of orphanNs) await teardown(p, []);
  await deleteLinks(orphanIfs);
  await deps.syncFirewall();
}
