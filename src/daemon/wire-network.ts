// Composition of networking: the network store, DNS server and firewall sync behind the
// networks router and the containers' ContainerNetworking port.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpContext } from '../common/context.ts';
import type { Logger } from '../common/logger.ts';
import type { KeyedMutex } from '../common/mutex.ts';
import type { ContainerStore } from '../containers/store.ts';
import type { EventBus } from '../events/bus.ts';
import type { Router } from '../api/router.ts';
import { networkRoutes } from '../api/routes/networks.ts';
import { NetworkStore, type EndpointRecord } from '../network/store.ts';
import { DnsServer } from '../network/dns.ts';
import { parseAddr, ptrName } from '../network/cidr.ts';
import { PortProxies, proxiesFor } from '../network/port-proxy.ts';
import { applyTable, deleteTable } from '../network/firewall.ts';
import { acceptChainName, FilterGuard } from '../network/filter-guard.ts';
import { removeAcceptChains } from '../network/filter-rules.ts';
import { coalesced } from '../common/coalesce.ts';
import { ensureBridge, ensureParent, warmLinks } from '../network/links.ts';
import type { NetworkDeps, NetworkSettings } from '../services/networks/deps.ts';
import { createNetwork, ensureBuiltins } from '../services/networks/create.ts';
import { inspectNetwork, listNetworks, pruneNetworks, removeNetwork } from '../services/networks/manage.ts';
import { connectNetwork, disconnectNetwork } from '../services/networks/connect.ts';
import { renameEndpoints } from '../services/networks/rename.ts';
import { removeLink } from '../services/networks/unlink.ts';
import {
  attachContainer,
  linkEnvironment,
  isUserDefined,
  reconcileNetworks,
  releaseContainer,
  sharedNetns,
  nsName,
} from '../services/networks/attach.ts';
import { containerNetworkSettings, containerPortsSummary } from '../services/networks/views.ts';
import { checkEndpointConfig, checkEndpointShape } from '../services/networks/endpoint-config.ts';
import { notFound } from '../common/errors.ts';
import { netnsPath } from '../network/links.ts';
import type { ContainerNetworking } from '../services/containers/network-port.ts';
import type { DaemonConfig } from './config.ts';

export interface Networking {
  deps: NetworkDeps;
  containers: ContainerNetworking;
  /** `docker rm --link /parent/alias`. */
  removeLink(name: string): Promise<void>;
  init(): Promise<void>;
  reconcile(running: (id: string) => boolean): Promise<void>;
  close(): Promise<void>;
}

function hostNameservers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => !!s);
  } catch {
    return [];
  }
}

export function networkSettingsFrom(config: DaemonConfig, engineId = ''): NetworkSettings {
  const tag = createHash('sha256').update(config.execRoot).digest('hex').slice(0, 6);
  return {
    bridge: config.bridge,
    bip: config.bip,
    pools: config.defaultAddressPools,
    ipv6: config.ipv6,
    fixedCidrV6: config.fixedCidrV6,
    ulaSeed: createHash('sha256').update(engineId).digest('hex'),
    mtu: config.mtu,
    icc: config.icc,
    firewall: config.iptables,
    dns: config.dns,
    table: `berth-${config.bridge}`,
    netnsPrefix: `berth-${tag}-`,
    vethPrefix: `vb${tag.slice(0, 4)}`,
  };
}

export function buildNetworking(o: {
  config: DaemonConfig;
  /** Seeds the ULA prefix IPv6 subnets come from when no v6 pool is configured. */
  engineId: string;
  containers: ContainerStore;
  events: EventBus;
  locks: KeyedMutex;
  log: Logger;
  router: Router;
}): Networking {
  // Endpoints made since this instance began are its own starts, never a crash's leftovers
  // (per instance: a second one in the same process, as after a restart, must see the first's).
  const started = Date.now();
  const store = new NetworkStore(join(o.config.dataRoot, 'network'));
  const settings = networkSettingsFrom(o.config, o.engineId);
  const proxies = new PortProxies(o.log);
  const applyNow = async () => {
    // The relays run whatever the firewall setting: they are how [::1] reaches a container.
    await proxies.sync(proxiesFor(store.endpoints()));
    if (!settings.firewall) return;
    const nets = store.networks().filter((n) => n.driver === 'bridge' && n.ipam);
    await applyTable(settings.table, {
      networks: nets.map((n) => ({
        bridge: n.bridge!,
        subnet: n.ipam!.subnet,
        subnet6: n.ipam6?.subnet,
        internal: n.internal,
        icc: n.icc !== false,
        gateway: n.ipam!.gateway,
        gateway6: n.ipam6?.gateway,
        masq4: n.masquerade?.v4 ?? true,
        masq6: n.masquerade?.v6 ?? false,
      })),
      ports: store.endpoints().flatMap((e) => e.ports.map((p) => ({ ...p, ip: e.ip, ip6: e.ip6 }))),
    });
  };
  // Coalesced: callers during a run share the one run after it, which sees their state.
  const applyTables = coalesced(applyNow);
  const bridges = () =>
    store
      .networks()
      .filter((n) => n.driver === 'bridge' && n.bridge)
      .map((n) => n.bridge!);
  const filterChain = acceptChainName(settings.bridge);
  // Another engine's iptables filter table (Docker's FORWARD DROP) must let our bridges through.
  const guard = settings.firewall
    ? new FilterGuard({
        chain: filterChain,
        ownTable: settings.table,
        bridges,
        restoreOwnTables: applyTables,
        log: o.log,
      })
    : undefined;
  let guarding = false;
  let guardedBridges = '';
  const syncFirewall = async (): Promise<void> => {
    await applyTables();
    // The accept rules name bridges only: published ports and endpoints do not change them.
    const now = bridges().sort().join(' ');
    if (guarding && now !== guardedBridges) {
      guardedBridges = now;
      await guard?.check();
    }
  };
  const addrs = (e: EndpointRecord) => [e.ip, ...(e.ip6 ? [e.ip6] : [])];
  const dns = new DnsServer({
    lookup: (netId, name, client) => {
      const q = name.replace(/\.$/, '');
      // As Docker's embedded resolver: the asker's networks, the one it asked on first.
      const asker = store.endpointsOn(netId).find((e) => e.ip === client || e.ip6 === client);
      const nets = [netId, ...(asker ? store.endpointsOf(asker.container).map((e) => e.network) : [])];
      for (const id of new Set(nets)) {
        const on = store.endpointsOn(id);
        // A network-scoped link is a name only the linking container resolves.
        const mine = on.find((e) => e.container === asker?.container);
        const link = mine?.links?.find((l) => l.alias.toLowerCase() === q);
        const hits = link
          ? on.filter((e) => e.container === link.target)
          : on.filter((e) => e.names.some((n) => n.toLowerCase() === q));
        if (hits.length) return hits.flatMap(addrs);
      }
      return [];
    },
    reverse: (netId, ptr) => {
      const e = store.endpointsOn(netId).find((x) => addrs(x).some((a) => ptrName(parseAddr(a)!) === ptr));
      const n = store.get(netId);
      return e && n ? `${e.names[0]}.${n.name}` : undefined;
    },
    upstreams: (netId, client) => {
      const e = store.endpointsOn(netId).find((x) => x.ip === client);
      const c = e ? o.containers.get(e.container) : undefined;
      const own = c?.record.hostConfig.Dns ?? [];
      return own.length ? own : settings.dns.length ? settings.dns : hostNameservers();
    },
  });
  const deps: NetworkDeps = {
    store,
    containers: o.containers,
    events: o.events,
    locks: o.locks,
    dns,
    settings,
    log: o.log,
    syncFirewall,
    hostNameservers,
  };
  o.events.subscribe((e) => {
    if (e.Type !== 'container' || e.Action !== 'rename') return;
    const { name, oldName } = e.Actor.Attributes;
    if (name && oldName)
      void renameEndpoints(deps, e.Actor.ID, oldName, name).catch((err) =>
        o.log.warn('renaming DNS names failed', { container: e.Actor.ID, err }),
      );
  });
  const op = (signal: AbortSignal): OpContext => ({ signal, log: o.log });
  networkRoutes(o.router, {
    create: (body) =>
      createNetwork(deps, body).then(async (r) => {
        await listenDns(r.Id);
        return r;
      }),
    list: (f) => Promise.resolve(listNetworks(deps, f)),
    inspect: (id, scope) => Promise.resolve(inspectNetwork(deps, id, scope)),
    remove: (id) => removeNetwork(deps, id),
    prune: (f, signal) => pruneNetworks(deps, op(signal), f),
    connect: (id, body, signal) => connectNetwork(deps, op(signal), id, body),
    disconnect: (id, body, signal) => disconnectNetwork(deps, op(signal), id, body),
  });
  async function listenDns(id: string): Promise<void> {
    const n = store.get(id);
    // On our bridges' gateways only: a macvlan/ipvlan gateway is a router elsewhere.
    if (n && isUserDefined(n) && n.driver === 'bridge') await dns.listen(n.id, n.ipam!.gateway);
  }
  const containers: ContainerNetworking = {
    prepare(c, opts = {}) {
      const mode = c.record.hostConfig.NetworkMode || 'default';
      // Config.NetworkDisabled: a namespace of its own with loopback only, whatever the mode (as dockerd).
      if (c.record.config.NetworkDisabled) return { network: 'private', ready: Promise.resolve() };
      if (mode === 'host') return { network: 'host', ready: Promise.resolve() };
      // With the default bridge disabled (--bridge none) the default mode is no network.
      if (mode === 'none' || (mode === 'default' && o.config.bridge === 'none'))
        return { network: 'private', ready: Promise.resolve() };
      if (mode.startsWith('container:')) {
        const t = o.containers.resolve(mode.slice('container:'.length));
        return { network: { path: sharedNetns(deps, t) }, ready: Promise.resolve() };
      }
      const env = linkEnvironment(deps, c); // first: it throws for a link to a stopped container
      const ready = o.locks.run(`net:${c.record.id}`, () =>
        attachContainer(deps, c, o.containers.dir(c.record.id), opts.netnsFrom),
      );
      return { network: { path: netnsPath(nsName(deps, c.record.id)) }, ready, env };
    },
    exists: (n) => Boolean(store.tryResolve(n)),
    checkEndpoints(cfg) {
      for (const [name, ec] of Object.entries(cfg)) {
        const n = store.tryResolve(name);
        if (!n) throw notFound(`network ${name} not found`);
        checkEndpointShape(name, ec);
        checkEndpointConfig(n, ec, isUserDefined(n));
      }
    },
    release: (id) => o.locks.run(`net:${id}`, () => releaseContainer(deps, id)),
    inspect: (c) => containerNetworkSettings(deps, c),
    summary: (c) => containerPortsSummary(deps, c),
  };
  return {
    deps,
    containers,
    removeLink: (name) => removeLink(deps, name),
    async init() {
      warmLinks(); // the netlink thread loads while the store does
      await store.load();
      await ensureBuiltins(deps);
      for (const n of store.networks()) {
        if (n.builtin) continue;
        if (n.driver === 'bridge') {
          const v6 = n.ipam6 ? `${n.ipam6.gateway}/${n.ipam6.subnet.split('/')[1]}` : undefined;
          await ensureBridge(
            n.bridge!,
            `${n.ipam!.gateway}/${n.ipam!.subnet.split('/')[1]}`,
            n.mtu ?? settings.mtu,
            v6,
          );
          await listenDns(n.id);
        } else if (n.parent)
          await ensureParent(n.parent, n.parentMade === 'dummy' ? 'dummy' : undefined).catch((err) =>
            o.log.warn('the parent interface of a network is missing', { network: n.name, parent: n.parent, err }),
          );
      }
      if (settings.firewall) {
        await syncFirewall();
        guardedBridges = bridges().sort().join(' ');
        await guard!.start();
        guarding = true;
      } else {
        await deleteTable(settings.table);
        await removeAcceptChains(filterChain);
      }
    },
    reconcile: (running) => reconcileNetworks(deps, running, started),
    async close() {
      guarding = false;
      await guard?.stop(true);
      proxies.closeAll();
      dns.closeAll();
    },
  };
}
