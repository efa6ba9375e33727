// An in-memory ContainerNetworking for service tests without root, bridges or netlink. It
// passes the same conformance suite as the real wiring (networking-conformance.ts).
//
// Networks, endpoints (an endpoint is an address allocation) and namespaces live in a
// FakeNetworkHost that outlives the FakeNetworking, as records and kernel state outlive
// berthd: `new FakeNetworking(host, …)` then reconcile() is a restart after a crash.
// Addresses come from network/ipam.ts and host ports from services/networks/publish.ts, so
// the fake allocates as the real thing does; only the kernel side is pretend.
import { randomBytes } from 'node:crypto';
import { conflict, invalidArgument, notFound } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import { formatAddr, macFor, parseAddr, parseCidr } from '../../network/cidr.ts';
import { allocate, type Pool } from '../../network/ipam.ts';
import type { PortMapping } from '../../network/store.ts';
import type { EndpointSettings, NetworkSettings, PortMap, PortSummary } from '../../api/types/networks.ts';
import type { ContainerNetworking } from '../containers/network-port.ts';
import { checkEndpointShape } from '../networks/endpoint-config.ts';
import { allocatePorts } from '../networks/publish.ts';
import type { NamespaceView } from './networking-conformance.ts';

interface FakeNetwork {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
  builtin: boolean;
  driver: 'bridge' | 'host' | 'null';
}

interface FakeEndpoint {
  container: string;
  network: string;
  ip: string;
  mac: string;
  ifname: string;
  ports: PortMapping[];
}

/** What outlives a FakeNetworking: its records and the (pretend) kernel's namespaces. */
export class FakeNetworkHost {
  readonly networks = new Map<string, FakeNetwork>();
  readonly endpoints: FakeEndpoint[] = [];
  readonly namespaces = new Map<string, NamespaceView>();
  readonly cursor = new Map<string, bigint>();
  private subnets = 0;

  constructor() {
    this.addNetwork('bridge', 'bridge', true);
    this.addNetwork('host', 'host', true);
    this.addNetwork('none', 'null', true);
  }

  addNetwork(name: string, driver: FakeNetwork['driver'] = 'bridge', builtin = false): FakeNetwork {
    if ([...this.networks.values()].some((n) => n.name === name))
      throw conflict(`network with name ${name} already exists`);
    const k = this.subnets++;
    const n: FakeNetwork = {
      id: randomBytes(32).toString('hex'),
      name,
      subnet: driver === 'bridge' ? `10.${200 + k}.0.0/24` : '',
      gateway: driver === 'bridge' ? `10.${200 + k}.0.1` : '',
      builtin,
      driver,
    };
    this.networks.set(n.id, n);
    return n;
  }

  /** A namespace with no record, as a crash in the middle of a set-up leaves one. */
  strayNamespace(): string {
    const path = nsPath(randomBytes(32).toString('hex'));
    this.namespaces.set(path, { interfaces: [] });
    return path;
  }
}

const nsPath = (id: string) => `/fake-netns/${id.slice(0, 12)}`;

export class FakeNetworking implements ContainerNetworking {
  private readonly host: FakeNetworkHost;
  private readonly containers: (idOrName: string) => Container | undefined;

  constructor(host: FakeNetworkHost, containers: (idOrName: string) => Container | undefined) {
    this.host = host;
    this.containers = containers;
  }

  prepare(c: Container): ReturnType<ContainerNetworking['prepare']> {
    const id = c.record.id;
    const mode = c.record.hostConfig.NetworkMode || 'default';
    if (mode === 'host') return { network: 'host', ready: Promise.resolve() };
    if (mode === 'none') return { network: 'private', ready: Promise.resolve() };
    if (mode.startsWith('container:')) {
      const ref = mode.slice('container:'.length);
      const t = this.containers(ref);
      if (!t) throw notFound(`No such container: ${ref}`);
      if (t.runtime.state.Status !== 'running')
        throw conflict(`cannot join network namespace of a non running container: ${t.record.id}`);
      const path = this.endpointsOf(t.record.id).length ? nsPath(t.record.id) : `/proc/${t.runtime.state.Pid}/ns/net`;
      return { network: { path }, ready: Promise.resolve() };
    }
    return { network: { path: nsPath(id) }, ready: this.attach(c) };
  }

  private async attach(c: Container): Promise<void> {
    const id = c.record.id;
    await this.release(id);
    const made: FakeEndpoint[] = [];
    try {
      // Addresses are taken in one turn: concurrent set-ups never share one.
      for (const [i, name] of this.connected(c).entries()) {
        const n = this.resolve(name);
        const want = (c.record.endpointsConfig?.[n.name] ?? c.record.endpointsConfig?.[n.id])?.IPAMConfig?.IPv4Address;
        const subnet = parseCidr(n.subnet);
        const pool: Pool = { subnet, range: subnet, reserved: new Set([parseAddr(n.gateway)!.value]) };
        const used = new Set(this.host.endpoints.filter((e) => e.network === n.id).map((e) => parseAddr(e.ip)!.value));
        const ip = {
          family: 4 as const,
          value: allocate(pool, used, this.host.cursor.get(n.id) ?? 0n, want || undefined),
        };
        this.host.cursor.set(n.id, ip.value);
        const e: FakeEndpoint = {
          container: id,
          network: n.id,
          ip: formatAddr(ip),
          mac: macFor(ip),
          ifname: `eth${i}`,
          ports: [],
        };
        made.push(e);
        this.host.endpoints.push(e);
      }
      const hc = c.record.hostConfig;
      if (made.length && (Object.keys(hc.PortBindings ?? {}).length || hc.PublishAllPorts)) {
        const taken = this.host.endpoints.filter((e) => e.container !== id).flatMap((e) => e.ports);
        made[0].ports = await allocatePorts(hc, c.record.config.ExposedPorts ?? undefined, taken);
      }
      const primary = made[0] && this.host.networks.get(made[0].network);
      this.host.namespaces.set(nsPath(id), {
        interfaces: made.map((e) => ({
          name: e.ifname,
          address: `${e.ip}/${this.host.networks.get(e.network)!.subnet.split('/')[1]}`,
          mac: e.mac,
        })),
        ...(primary ? { gateway: primary.gateway } : {}),
      });
    } catch (err) {
      await this.release(id);
      throw err;
    }
  }

  async release(id: string): Promise<void> {
    for (let i = this.host.endpoints.length - 1; i >= 0; i--)
      if (this.host.endpoints[i].container === id) this.host.endpoints.splice(i, 1);
    this.host.namespaces.delete(nsPath(id));
  }

  /** Start-up after a crash: releases what belongs to no live task, and namespaces on no record. */
  async reconcile(running: (id: string) => boolean): Promise<void> {
    for (const id of new Set(this.host.endpoints.map((e) => e.container))) if (!running(id)) await this.release(id);
    const keep = new Set(this.host.endpoints.map((e) => nsPath(e.container)));
    for (const path of [...this.host.namespaces.keys()]) if (!keep.has(path)) this.host.namespaces.delete(path);
  }

  exists(idOrName: string): boolean {
    return this.tryResolve(idOrName) !== undefined;
  }

  checkEndpoints(config: Record<string, EndpointSettings>): void {
    for (const [name, ec] of Object.entries(config)) {
      const n = this.tryResolve(name);
      if (!n) throw notFound(`network ${name} not found`);
      checkEndpointShape(name, ec);
      // What the fake does not model is refused, not dropped.
      for (const k of ['Links', 'Aliases', 'MacAddress', 'DriverOpts'] as const)
        if (ec[k] && Object.keys(ec[k]).length) throw invalidArgument(`the fake networking does not implement ${k}`);
      const ipam = ec.IPAMConfig ?? {};
      if (ipam.IPv6Address || ipam.LinkLocalIPs?.length)
        throw invalidArgument('the fake networking does not implement IPv6 or link-local addresses');
      if (ipam.IPv4Address && n.builtin)
        throw invalidArgument('user specified IP address is supported on user defined networks only');
    }
  }

  inspect(c: Container): NetworkSettings {
    const id = c.record.id;
    const eps = this.endpointsOf(id);
    const names = this.connected(c);
    const mode = c.record.hostConfig.NetworkMode || 'default';
    const shown = names.length ? names : [mode === 'default' ? 'bridge' : mode];
    const networks: Record<string, EndpointSettings> = {};
    for (const name of shown) {
      const n = this.tryResolve(name);
      const e = n && eps.find((x) => x.network === n.id);
      networks[n?.name ?? name] = {
        NetworkID: n?.id ?? '',
        IPAddress: e?.ip ?? '',
        IPPrefixLen: e ? Number(n!.subnet.split('/')[1]) : 0,
        Gateway: e ? n!.gateway : '',
        MacAddress: e?.mac ?? '',
      };
    }
    const bridge = this.tryResolve('bridge')!;
    const be = eps.find((e) => e.network === bridge.id);
    const ports: PortMap = {};
    if (eps.length) {
      for (const k of Object.keys(c.record.config.ExposedPorts ?? {})) ports[k.includes('/') ? k : `${k}/tcp`] = null;
      for (const p of eps.flatMap((e) => e.ports))
        (ports[`${p.containerPort}/${p.proto}`] ??= [])!.push({
          HostIp: p.hostIp || '0.0.0.0',
          HostPort: String(p.hostPort),
        });
    }
    return {
      Bridge: '',
      SandboxID: eps.length ? id.slice(0, 12) : '',
      SandboxKey: eps.length ? nsPath(id) : '',
      Ports: ports,
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: be ? bridge.gateway : '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: be?.ip ?? '',
      IPPrefixLen: be ? Number(bridge.subnet.split('/')[1]) : 0,
      IPv6Gateway: '',
      MacAddress: be?.mac ?? '',
      Networks: networks,
    };
  }

  summary(c: Container): { Ports: PortSummary[]; Networks: Record<string, EndpointSettings> } {
    const ports = this.endpointsOf(c.record.id)
      .flatMap((e) => e.ports)
      .map((p) => ({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto }));
    return { Ports: ports, Networks: this.inspect(c).Networks ?? {} };
  }

  private endpointsOf(id: string): FakeEndpoint[] {
    return this.host.endpoints.filter((e) => e.container === id);
  }

  /** The networks a container is on, its primary one first. */
  private connected(c: Container): string[] {
    const mode = c.record.hostConfig.NetworkMode || 'default';
    const primary = mode === 'default' ? 'bridge' : mode;
    return [...new Set([primary, ...Object.keys(c.record.endpointsConfig ?? {})])];
  }

  private tryResolve(idOrName: string): FakeNetwork | undefined {
    return (
      this.host.networks.get(idOrName) ??
      [...this.host.networks.values()].find((n) => n.name === idOrName || n.id.startsWith(idOrName))
    );
  }

  private resolve(idOrName: string): FakeNetwork {
    const n = this.tryResolve(idOrName);
    if (!n) throw notFound(`network ${idOrName} not found`);
    if (n.driver !== 'bridge') throw conflict(`container cannot be connected to network ${n.name}`);
    return n;
  }
}
