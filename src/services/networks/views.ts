// Docker's shapes: a container's NetworkSettings (inspect) and Ports (ps), and a
// network's inspect document with its Containers.
import { createHash } from 'node:crypto';
import type { Container } from '../../containers/store.ts';
import type { EndpointRecord, NetworkRecord } from '../../network/store.ts';
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

function endpointView(
  c: Container,
  n: NetworkRecord | undefined,
  name: string,
  e: EndpointRecord | undefined,
): EndpointSettings {
  const ec = c.record.endpointsConfig?.[name] ?? {};
  return {
    IPAMConfig: ec.IPAMConfig ?? null,
    Links: ec.Links ?? null,
    Aliases: ec.Aliases ?? null,
    MacAddress: e?.mac ?? '',
    DriverOpts: null,
    NetworkID: n?.id ?? '',
    EndpointID: e ? endpointId(e) : '',
    Gateway: e ? (n?.ipam?.gateway ?? '') : '',
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e && n?.ipam ? Number(n.ipam.subnet.split('/')[1]) : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: e?.names.length ? e.names : null,
  };
}

function portsMap(c: Container, eps: EndpointRecord[]): PortMap {
  const out: PortMap = {};
  if (!eps.length) return out;
  for (const k of Object.keys(c.record.config.ExposedPorts ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const p of eps.flatMap((e) => e.ports)) {
    (out[`${p.containerPort}/${p.proto}`] ??= [])!.push({
      HostIp: p.hostIp || '0.0.0.0',
      HostPort: String(p.hostPort),
    });
  }
  return out;
}

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
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: be?.ip ?? '',
    IPPrefixLen: be ? Number(bridge!.ipam!.subnet.split('/')[1]) : 0,
    IPv6Gateway: '',
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
    ports.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
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
        IPv4Address: `${e.ip}/${n.ipam!.subnet.split('/')[1]}`,
        IPv6Address: '',
      };
    }
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: null,
      Config: n.ipam
        ? [{ Subnet: n.ipam.subnet, Gateway: n.ipam.gateway, ...(n.ipam.ipRange ? { IPRange: n.ipam.ipRange } : {}) }]
        : [],
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
