// Docker's shapes: a container's NetworkSettings (inspect) and Ports (ps), and a
// network's inspect document with its Containers.
import { createHash } from 'node:crypto';
import type { Container } from '../../containers/store.ts';
import type { EndpointRecord, IpamRecord, NetworkRecord } from '../../network/store.ts';
import { connectedNetworks, nsName } from './attach.ts';
import { netnsPath } from '../../network/links.ts';
import type { NetworkDeps } from './deps.ts';
import type {
  EndpointSettings,
  NetworkContainer,
  NetworkInspect,
  NetworkSettings,
  PortMap,
  PortSummary,
} from '../../api/types/networks.ts';

const endpointId = (e: EndpointRecord) => createHash('sha256').update(`${e.container}/${e.network}`).digest('hex');

const prefixLen = (subnet: string | undefined) => (subnet ? Number(subnet.split('/')[1]) : 0);

function endpointView(
  c: Container,
  n: NetworkRecord | undefined,
  name: string,
  e: EndpointRecord | undefined,
): EndpointSettings {
  const ec = c.record.endpointsConfig?.[name] ?? (n ? c.record.endpointsConfig?.[n.id] : undefined) ?? {};
  const v6 = e?.ip6 ? n?.ipam6 : undefined;
  return {
    IPAMConfig: ec.IPAMConfig ?? null,
    Links: ec.Links?.length ? ec.Links : null,
    Aliases: ec.Aliases ?? null,
    MacAddress: e?.mac ?? ec.MacAddress ?? '',
    DriverOpts: ec.DriverOpts ?? null,
    GwPriority: ec.GwPriority ?? 0,
    NetworkID: n?.id ?? '',
    EndpointID: e ? endpointId(e) : '',
    Gateway: e && !n?.internal ? (n?.ipam?.gateway ?? '') : '',
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e ? prefixLen(n?.ipam?.subnet) : 0,
    IPv6Gateway: v6 && !n?.internal ? v6.gateway : '',
    GlobalIPv6Address: e?.ip6 ?? '',
    GlobalIPv6PrefixLen: prefixLen(v6?.subnet),
    DNSNames: e?.names.length ? e.names : null,
  };
}

function portsMap(c: Container, eps: EndpointRecord[]): PortMap {
  const out: PortMap = {};
  if (!eps.length) return out;
  for (const k of Object.keys(c.record.config.ExposedPorts ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const p of eps.flatMap((e) => e.ports))
    for (const HostIp of hostIps(p.hostIp))
      (out[`${p.containerPort}/${p.proto}`] ??= [])!.push({ HostIp, HostPort: String(p.hostPort) });
  return out;
}

/** An empty host address is both wildcards, shown as Docker shows them. */
const hostIps = (ip: string) => (ip ? [ip] : ['0.0.0.0', '::']);

export function containerNetworkSettings(deps: NetworkDeps, c: Container): NetworkSettings {
  const id = c.record.id;
  const eps = deps.store.endpointsOf(id);
  const mode = c.record.hostConfig.NetworkMode || 'default';
  const names = connectedNetworks(c);
  const shown = names.length || c.record.primaryDetached ? names : [mode === 'default' ? 'bridge' : mode];
  const networks: Record<string, EndpointSettings> = {};
  for (const name of shown) {
    const n = deps.store.tryResolve(name);
    networks[n?.name ?? name] = endpointView(c, n, name, n ? eps.find((e) => e.network === n.id) : undefined);
  }
  const bridge = deps.store.networks().find((n) => n.name === 'bridge');
  const be = bridge ? eps.find((e) => e.network === bridge.id) : undefined;
  return {
    Bridge: '',
    SandboxID: eps.length ? nsName(deps, id) : '',
    SandboxKey: eps.length ? netnsPath(nsName(deps, id)) : '',
    Ports: portsMap(c, eps),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: be ? endpointId(be) : '',
    Gateway: be ? bridge!.ipam!.gateway : '',
    GlobalIPv6Address: be?.ip6 ?? '',
    GlobalIPv6PrefixLen: be?.ip6 ? prefixLen(bridge!.ipam6?.subnet) : 0,
    IPAddress: be?.ip ?? '',
    IPPrefixLen: be ? prefixLen(bridge!.ipam!.subnet) : 0,
    IPv6Gateway: be?.ip6 ? (bridge!.ipam6?.gateway ?? '') : '',
    MacAddress: be?.mac ?? '',
    Networks: networks,
  };
}

export function containerPortsSummary(
  deps: NetworkDeps,
  c: Container,
): { Ports: PortSummary[]; Networks: Record<string, EndpointSettings> } {
  const eps = deps.store.endpointsOf(c.record.id);
  const ports: PortSummary[] = [];
  for (const p of eps.flatMap((e) => e.ports))
    for (const IP of hostIps(p.hostIp))
      ports.push({ IP, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  for (const k of Object.keys(c.record.config.ExposedPorts ?? {})) {
    const [port, proto = 'tcp'] = k.split('/');
    if (!ports.some((p) => p.PrivatePort === Number(port) && p.Type === proto))
      ports.push({ PrivatePort: Number(port), Type: proto });
  }
  const settings = containerNetworkSettings(deps, c);
  return { Ports: ports, Networks: settings.Networks ?? {} };
}

export function networkView(deps: NetworkDeps, n: NetworkRecord, withContainers = true): NetworkInspect {
  const containers: Record<string, NetworkContainer> = {};
  if (withContainers) {
    for (const e of deps.store.endpointsOn(n.id)) {
      const c = deps.containers.get(e.container);
      containers[e.container] = {
        Name: c?.record.name ?? '',
        EndpointID: endpointId(e),
        MacAddress: e.mac,
        IPv4Address: `${e.ip}/${prefixLen(n.ipam?.subnet)}`,
        IPv6Address: e.ip6 ? `${e.ip6}/${prefixLen(n.ipam6?.subnet)}` : '',
      };
    }
  }
  const ipamConfig = (i: IpamRecord) => ({
    Subnet: i.subnet,
    ...(i.ipRange ? { IPRange: i.ipRange } : {}),
    Gateway: i.gateway,
    ...(i.aux ? { AuxiliaryAddresses: i.aux } : {}),
  });
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: Boolean(n.ipam6),
    IPAM: {
      Driver: 'default',
      Options: n.ipamOptions ?? null,
      Config: [n.ipam, n.ipam6].filter((i): i is IpamRecord => !!i).map(ipamConfig),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}
