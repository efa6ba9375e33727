// Networks and endpoints as durable records: <root>/networks/<id>.json and
// <root>/endpoints/<container>-<network>.json. An endpoint record IS the address
// allocation, so IPAM state is rebuilt from what is on disk after a crash and can never
// hold an address twice; writes land before an address is used.
import { KeyedMutex } from '../common/mutex.ts';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readRecord, writeRecord } from '../metadata/record-dir.ts';
import { conflict, notFound } from '../common/errors.ts';
import { parseAddr, type Family } from './cidr.ts';

/** One IPAM.Config entry as recorded (addresses in canonical text). */
export interface IpamRecord {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** AuxiliaryAddresses: name → address, never handed out. */
  aux?: Record<string, string>;
}

export type NetworkDriver = 'bridge' | 'host' | 'null' | 'macvlan' | 'ipvlan';

export interface NetworkRecord {
  schema: 1;
  id: string;
  name: string;
  driver: NetworkDriver;
  created: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  /** The driver options as given (echoed by inspect). */
  options: Record<string, string>;
  /** IPv4 addressing; absent for host/none. */
  ipam?: IpamRecord;
  /** IPv6 addressing, present exactly when IPv6 is enabled. */
  ipam6?: IpamRecord;
  enableIPv6?: boolean;
  /** IPAM.Options as given (echoed; the default IPAM driver reads none). */
  ipamOptions?: Record<string, string>;
  bridge?: string;
  mtu?: number;
  icc?: boolean;
  /** Masquerade traffic leaving the network, per family (NAT66 is off unless asked for). */
  masquerade?: { v4: boolean; v6: boolean };
  /** macvlan/ipvlan: the host link endpoints hang off, and what we made for it (removed with the network). */
  parent?: string;
  parentMade?: 'dummy' | 'vlan';
  /** macvlan: bridge|vepa|private|passthru; ipvlan: l2|l3|l3s (and the ipvlan flag). */
  mode?: string;
  ipvlanFlag?: string;
  /** bridge/host/none: made by the daemon, never removed. */
  builtin?: boolean;
}

export interface PortMapping {
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export interface EndpointRecord {
  container: string;
  network: string;
  /** The container's name and aliases on this network, for DNS. */
  names: string[];
  /** Network-scoped links: alias → container ID, resolved by DNS for this container only. */
  links?: { alias: string; target: string }[];
  ip: string;
  ip6?: string;
  /** IPAMConfig.LinkLocalIPs added to the interface. */
  linkLocal?: string[];
  mac: string;
  ifname: string;
  /** Host end of the veth; '' for macvlan/ipvlan (nothing on the host side). */
  hostIf: string;
  netns: string;
  ports: PortMapping[];
  created: string;
}

export class NetworkStore {
  private readonly writes = new KeyedMutex();
  readonly root: string;
  private readonly nets = new Map<string, NetworkRecord>();
  private readonly eps = new Map<string, EndpointRecord>();
  /** Per network and family (`<id>/4`, `<id>/6`): the last address allocated, so releases are not reused at once. */
  readonly cursor = new Map<string, bigint>();

  constructor(root: string) {
    this.root = root;
  }

  async load(): Promise<void> {
    for (const d of ['networks', 'endpoints']) await mkdir(join(this.root, d), { recursive: true, mode: 0o700 });
    for (const f of await readdir(join(this.root, 'networks'))) {
      if (!f.endsWith('.json')) continue;
      const n = await readRecord<NetworkRecord>(join(this.root, 'networks', f)).catch(() => undefined);
      if (n?.id) this.nets.set(n.id, n);
    }
    for (const f of await readdir(join(this.root, 'endpoints'))) {
      if (!f.endsWith('.json')) continue;
      const e = await readRecord<EndpointRecord>(join(this.root, 'endpoints', f)).catch(() => undefined);
      if (e?.container && this.nets.has(e.network)) this.eps.set(key(e.container, e.network), e);
      else await rm(join(this.root, 'endpoints', f), { force: true });
    }
  }

  networks(): NetworkRecord[] {
    return [...this.nets.values()];
  }
  get(id: string): NetworkRecord | undefined {
    return this.nets.get(id);
  }

  /** Docker's lookup: full ID, exact name, then unique ID prefix. */
  resolve(idOrName: string): NetworkRecord {
    const n = this.tryResolve(idOrName);
    if (!n) throw notFound(`network ${idOrName} not found`);
    return n;
  }

  tryResolve(idOrName: string): NetworkRecord | undefined {
    const byId = this.nets.get(idOrName);
    if (byId) return byId;
    for (const n of this.nets.values()) if (n.name === idOrName) return n;
    if (idOrName.length === 0) return undefined;
    const m = [...this.nets.values()].filter((n) => n.id.startsWith(idOrName));
    if (m.length > 1) throw conflict(`network ${idOrName} is ambiguous (${m.length} matches found based on ID prefix)`);
    return m[0];
  }

  async putNetwork(n: NetworkRecord): Promise<void> {
    await writeRecord(join(this.root, 'networks', `${n.id}.json`), n);
    this.nets.set(n.id, n);
  }

  async deleteNetwork(id: string): Promise<void> {
    this.nets.delete(id);
    await rm(join(this.root, 'networks', `${id}.json`), { force: true });
  }

  endpoints(): EndpointRecord[] {
    return [...this.eps.values()];
  }
  endpointsOn(network: string): EndpointRecord[] {
    return this.endpoints().filter((e) => e.network === network);
  }
  endpointsOf(container: string): EndpointRecord[] {
    return this.endpoints().filter((e) => e.container === container);
  }
  endpoint(container: string, network: string): EndpointRecord | undefined {
    return this.eps.get(key(container, network));
  }

  /** Addresses of one family held on a network (as numbers, for IPAM). */
  usedIps(network: string, family: Family = 4): Set<bigint> {
    const out = new Set<bigint>();
    for (const e of this.endpointsOn(network)) {
      const a = parseAddr((family === 4 ? e.ip : e.ip6) ?? '');
      if (a) out.add(a.value);
    }
    return out;
  }

  /**
   * Reserves in memory at once (callers allocate synchronously), then persists. Writes of
   * one endpoint are serialised and each writes the latest record, so an earlier, slower
   * write can never land over a later one (or resurrect a deleted endpoint).
   */
  async putEndpoint(e: EndpointRecord): Promise<void> {
    const k = key(e.container, e.network);
    this.eps.set(k, e);
    await this.writes.run(k, async () => {
      const latest = this.eps.get(k);
      if (latest) await writeRecord(join(this.root, 'endpoints', `${k}.json`), latest);
    });
  }

  async deleteEndpoint(container: string, network: string): Promise<void> {
    const k = key(container, network);
    this.eps.delete(k);
    await this.writes.run(k, () => rm(join(this.root, 'endpoints', `${k}.json`), { force: true }));
  }
}

const key = (container: string, network: string) => `${container}-${network}`;
