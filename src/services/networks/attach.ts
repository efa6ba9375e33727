// A container's endpoints over a task's life: at start, addresses are allocated (and
// persisted) for every network it is connected to, its namespace is made with one link
// per network (a veth on a bridge, or a macvlan/ipvlan on the network's parent), ports are
// published and /etc files written; when the task is gone, all of it is released.
// Reconciliation after a crash releases whatever belongs to no live task.
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { EndpointConfig } from '../../containers/types.ts';
import { allocate, type Pool } from '../../network/ipam.ts';
import { formatAddr, macFor, parseAddr, parseCidr, type Family } from '../../network/cidr.ts';
import {
  deleteLinks,
  detach,
  listLinks,
  listNetns,
  netnsPath,
  setDefaultRoutes,
  setup,
  teardown,
  type Attachment,
  type DefaultRoute,
} from '../../network/links.ts';
import type { EndpointRecord, IpamRecord, NetworkRecord } from '../../network/store.ts';
import { allocatePorts } from './publish.ts';
import { writeEtcFiles } from './etc-files.ts';
import { linkEnv, type ResolvedLink } from './link-env.ts';
import { endpointOptions, endpointConfigOf, checkEndpointConfig } from './endpoint-config.ts';
import { IPVLAN_FLAGS, IPVLAN_MODES, MACVLAN_MODES } from './create-spec.ts';
import type { NetworkDeps } from './deps.ts';
import { pickGateways, type GatewayCandidate } from './gateway.ts';

export const nsName = (deps: NetworkDeps, id: string) => `${deps.settings.netnsPrefix}${id.slice(0, 12)}`;

export function poolOf(i: IpamRecord): Pool {
  const subnet = parseCidr(i.subnet);
  const reserved = new Set([i.gateway, ...Object.values(i.aux ?? {})].map((a) => parseAddr(a)!.value));
  return { subnet, range: i.ipRange ? parseCidr(i.ipRange) : subnet, reserved };
}

/** The networks a container is connected to, its primary one first. */
export function connectedNetworks(c: Container): string[] {
  if (c.record.config.NetworkDisabled) return [];
  const mode = c.record.hostConfig.NetworkMode || 'default';
  const primary = mode === 'default' ? 'bridge' : mode;
  if (primary === 'host' || primary === 'none' || primary.startsWith('container:')) return [];
  return [...new Set([...(c.record.primaryDetached ? [] : [primary]), ...Object.keys(c.record.endpointsConfig ?? {})])];
}

export const isUserDefined = (n: NetworkRecord) => n.driver !== 'host' && n.driver !== 'null' && !n.builtin;
export const isPrimaryNetwork = (c: Container, n: NetworkRecord) => {
  const mode = c.record.hostConfig.NetworkMode || 'default';
  const primary = mode === 'default' ? 'bridge' : mode;
  return primary === n.name || primary === n.id;
};

/** The interface name for a new endpoint: its own DriverOpts name, else prefix + first free number. */
export function ifnameFor(n: NetworkRecord, ec: EndpointConfig, taken: ReadonlySet<string>): string {
  const own = endpointOptions(ec).ifname;
  if (own) {
    if (taken.has(own)) throw conflict(`interface name ${own} is already in use in the container`);
    return own;
  }
  const prefix = n.options['com.docker.network.container_iface_prefix'] ?? 'eth';
  let i = 0;
  while (taken.has(`${prefix}${i}`)) i++;
  return `${prefix}${i}`;
}

function allocateIn(deps: NetworkDeps, n: NetworkRecord, family: Family, want?: string): string {
  const ipam = family === 4 ? n.ipam! : n.ipam6!;
  const key = `${n.id}/${family}`;
  const v = allocate(poolOf(ipam), deps.store.usedIps(n.id, family), deps.store.cursor.get(key) ?? 0n, want);
  deps.store.cursor.set(key, v);
  return formatAddr({ family, value: v });
}

/** Allocates an endpoint synchronously (so concurrent starts never share an address). */
export function newEndpoint(deps: NetworkDeps, c: Container, n: NetworkRecord, ifname: string): EndpointRecord {
  if (n.driver === 'host' || n.driver === 'null')
    throw invalidArgument(`container cannot be connected to network ${n.name}`);
  const ec = endpointConfigOf(c, n);
  checkEndpointConfig(n, ec, isUserDefined(n));
  const ip = allocateIn(deps, n, 4, ec.IPAMConfig?.IPv4Address || undefined);
  const ip6 = n.ipam6 ? allocateIn(deps, n, 6, ec.IPAMConfig?.IPv6Address || undefined) : undefined;
  const legacyMac = ifname === 'eth0' ? (c.record.config as { MacAddress?: string }).MacAddress : '';
  const mac = n.driver === 'ipvlan' ? '' : ec.MacAddress || legacyMac || macFor(parseAddr(ip)!);
  const names = isUserDefined(n) ? [c.record.name, ...(ec.Aliases ?? []), c.record.id.slice(0, 12)] : [];
  const e: EndpointRecord = {
    container: c.record.id,
    network: n.id,
    names,
    ...(isUserDefined(n) ? withLinks(deps, c, n, ec) : {}),
    ip,
    ...(ip6 ? { ip6 } : {}),
    ...(ec.IPAMConfig?.LinkLocalIPs?.length
      ? { linkLocal: ec.IPAMConfig.LinkLocalIPs.map((a) => formatAddr(parseAddr(a)!)) }
      : {}),
    mac,
    ifname,
    hostIf: n.driver === 'bridge' ? `${deps.settings.vethPrefix}${randomBytes(4).toString('hex')}` : '',
    netns: netnsPath(nsName(deps, c.record.id)),
    ports: [],
    created: new Date().toISOString(),
  };
  void deps.store.putEndpoint(e).catch(() => {}); // in memory now; persisted again below
  return e;
}

/**
 * Links on a user-defined network are names only this container resolves (Docker's
 * network-scoped links): the endpoint's own Links, and --link on its primary network.
 */
function withLinks(deps: NetworkDeps, c: Container, n: NetworkRecord, ec: EndpointConfig) {
  const specs = [
    ...(ec.Links ?? []),
    ...(isPrimaryNetwork(c, n) ? ((c.record.hostConfig.Links as string[] | null | undefined) ?? []) : []),
  ];
  const links = specs.map((l) => {
    const [target, alias] = l.replace(/^\//, '').split(':');
    const t = deps.containers.tryResolve(target);
    if (!t) throw invalidArgument(`could not get container for ${target}`);
    return { alias: (alias ?? t.record.name).replace(/^.*\//, ''), target: t.record.id };
  });
  return links.length ? { links } : {};
}

const prefixOf = (i: IpamRecord) => i.subnet.split('/')[1];

/** How an endpoint on `n` competes for the container's default routes (see gateway.ts). */
export function gatewayCandidate(n: NetworkRecord, ec: EndpointConfig): GatewayCandidate {
  const out = !n.internal;
  return { network: n.name, priority: ec.GwPriority ?? 0, internal: n.internal, v4: out, v6: out && Boolean(n.ipam6) };
}

/** The IPv4 and IPv6 default routes of a container with these endpoints (see gateway.ts). */
export function gatewayRoutes(nets: NetworkRecord[], eps: EndpointRecord[], ecs: EndpointConfig[]): DefaultRoute[] {
  const gw = pickGateways(nets.map((n, i) => gatewayCandidate(n, ecs[i])));
  const routes: DefaultRoute[] = [];
  for (const family of [4, 6] as const) {
    const i = family === 4 ? gw.v4 : gw.v6;
    if (i === undefined) continue;
    const a = attachmentOf(nets[i], eps[i], { v4: family === 4, v6: family === 6 }, ecs[i]);
    const gateway = family === 4 ? a.gateway : a.gateway6;
    if (gateway !== undefined) routes.push({ ifname: eps[i].ifname, family, gateway });
  }
  return routes;
}

/**
 * After a `network connect` or `disconnect` on a running container: its default routes go
 * out of the endpoints Docker would pick among those it has now.
 */
export async function refreshDefaultRoutes(deps: NetworkDeps, c: Container): Promise<void> {
  const eps = deps.store.endpointsOf(c.record.id);
  if (!eps.length) return;
  const nets = eps.map((e) => deps.store.resolve(e.network));
  const routes = gatewayRoutes(
    nets,
    eps,
    nets.map((n) => endpointConfigOf(c, n)),
  );
  if (routes.length) await setDefaultRoutes(eps[0].netns, routes);
}

export function attachmentOf(
  n: NetworkRecord,
  e: EndpointRecord,
  gw: { v4?: boolean; v6?: boolean },
  ec: EndpointConfig,
): Attachment {
  const l3 = n.driver === 'ipvlan' && n.mode !== 'l2';
  const common = {
    ifname: e.ifname,
    address: `${e.ip}/${prefixOf(n.ipam!)}`,
    ...(e.ip6 ? { address6: `${e.ip6}/${prefixOf(n.ipam6!)}` } : {}),
    ...(e.linkLocal?.length ? { linkLocal: e.linkLocal.map((a) => `${a}/${a.includes(':') ? 64 : 16}`) } : {}),
    ...(e.mac ? { mac: e.mac } : {}),
    mtu: n.mtu ?? 1500,
    // An ipvlan in L3 mode routes through its parent: a default route with no next hop.
    ...(gw.v4 && !n.internal ? { gateway: l3 ? '' : n.ipam!.gateway } : {}),
    ...(gw.v6 && !n.internal && e.ip6 ? { gateway6: l3 ? '' : n.ipam6!.gateway } : {}),
    sysctls: endpointOptions(ec).sysctls(e.ifname),
  };
  if (n.driver === 'bridge') return { ...common, kind: 'veth', bridge: n.bridge!, hostIf: e.hostIf };
  return n.driver === 'macvlan'
    ? { ...common, kind: 'macvlan', parent: n.parent!, mode: MACVLAN_MODES[n.mode ?? 'bridge'] }
    : {
        ...common,
        kind: 'ipvlan',
        parent: n.parent!,
        mode: IPVLAN_MODES[n.mode ?? 'l2'],
        flags: IPVLAN_FLAGS[n.ipvlanFlag ?? 'bridge'],
      };
}

/**
 * Sets up a container's namespace for a task that is about to start: a new one, or the
 * namespace file `netnsFrom` (one a remapped container's user namespace owns) bound in place.
 */
export async function attachContainer(deps: NetworkDeps, c: Container, dir: string, netnsFrom?: string): Promise<void> {
  const id = c.record.id;
  await releaseContainer(deps, id);
  const nets = connectedNetworks(c).map((n) => deps.store.resolve(n));
  const eps: EndpointRecord[] = [];
  try {
    const taken = new Set<string>();
    for (const n of nets) {
      const name = ifnameFor(n, endpointConfigOf(c, n), taken);
      taken.add(name);
      eps.push(newEndpoint(deps, c, n, name));
    }
    const publishing =
      (c.record.hostConfig.PortBindings && Object.keys(c.record.hostConfig.PortBindings).length) ||
      c.record.hostConfig.PublishAllPorts;
    if (publishing && nets[0] && nets[0].driver !== 'bridge')
      throw invalidArgument(`ports cannot be published on a ${nets[0].driver} network (${nets[0].name})`);
    if (eps.length && publishing) {
      await deps.locks.run('network:ports', async () => {
        eps[0].ports = await allocatePorts(
          c.record.hostConfig,
          c.record.config.ExposedPorts ?? undefined,
          deps.store.endpoints().flatMap((e) => e.ports),
          nets[0].options['com.docker.network.bridge.host_binding_ipv4'],
        );
      });
    }
    await Promise.all(eps.map((e) => deps.store.putEndpoint(e)));
    const ecs = nets.map((n) => endpointConfigOf(c, n));
    const gw = pickGateways(nets.map((n, i) => gatewayCandidate(n, ecs[i])));
    await setup(
      netnsPath(nsName(deps, id)),
      eps.map((e, i) => attachmentOf(nets[i], e, { v4: gw.v4 === i, v6: gw.v6 === i }, ecs[i])),
      true,
      true,
      netnsFrom,
    );
    const bridge = deps.store.networks().find((n) => n.name === 'bridge');
    const legacy = nets[0] && !isUserDefined(nets[0]);
    await writeEtcFiles(deps, {
      dir,
      c,
      ips: eps[0] ? [eps[0].ip, ...(eps[0].ip6 ? [eps[0].ip6] : [])] : [],
      hostGateway: bridge?.ipam?.gateway ?? '',
      // Any user-defined bridge network gives it our DNS (Docker's embedded resolver), even
      // when its primary network is the default bridge.
      dnsServer: nets.find((n) => isUserDefined(n) && n.driver === 'bridge')?.ipam?.gateway,
      links: legacy ? resolveLinks(deps, c, nets) : [],
    });
    if (eps.some((e) => e.ports.length)) await deps.syncFirewall();
  } catch (err) {
    await releaseContainer(deps, id).catch(() => {});
    throw err;
  }
}

/** `--link name:alias` on the default bridge: the target's address on a network both share. */
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

/** Docker's link variables for every `--link` on the default bridge (resolved as the /etc/hosts entries are). */
export function linkEnvironment(deps: NetworkDeps, c: Container): string[] {
  if (!(c.record.hostConfig.Links as string[] | null | undefined)?.length) return [];
  const nets = connectedNetworks(c).map((n) => deps.store.resolve(n));
  if (!nets[0] || isUserDefined(nets[0])) return [];
  return resolveLinks(deps, c, nets).flatMap((l) => linkEnv(c.record.name, l));
}

/** Removes a container's namespace, links, addresses and published ports. Idempotent. */
export async function releaseContainer(deps: NetworkDeps, id: string): Promise<void> {
  const eps = deps.store.endpointsOf(id);
  const ns = netnsPath(nsName(deps, id));
  const nsExists = await stat(ns).then(
    () => true,
    () => false,
  );
  if (!eps.length && !nsExists) return;
  await teardown(ns, eps.map((e) => e.hostIf).filter(Boolean));
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
  // A connect cut short (its endpoint and link made, the container's record not yet saved):
  // the record is the truth, so the running container's extra interface goes.
  for (const e of deps.store.endpoints()) {
    if (fresh(e) || !running(e.container)) continue;
    const c = deps.containers.tryResolve(e.container);
    if (!c) continue;
    const joined = new Set(connectedNetworks(c).map((n) => deps.store.tryResolve(n)?.id));
    if (joined.has(e.network)) continue;
    deps.log.warn('releasing the endpoint of an unfinished network connect', {
      container: e.container,
      network: e.network,
    });
    await detach(e.netns, e.ifname).catch(() => {}); // not made yet, or gone with its namespace
    await deps.store.deleteEndpoint(e.container, e.network);
  }
  const keep = new Set(deps.store.endpoints().map((e) => nsName(deps, e.container)));
  for (const c of deps.containers.list()) if (running(c.record.id)) keep.add(nsName(deps, c.record.id));
  const orphanNs = (await listNetns(deps.settings.netnsPrefix)).filter((p) => !keep.has(p.split('/').pop()!));
  const hostIfs = new Set(deps.store.endpoints().map((e) => e.hostIf));
  const orphanIfs = (await listLinks(deps.settings.vethPrefix)).filter((l) => !hostIfs.has(l));
  for (const p of orphanNs) await teardown(p, []);
  await deleteLinks(orphanIfs);
  await deps.syncFirewall();
}
