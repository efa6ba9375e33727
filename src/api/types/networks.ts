// Networks: a container's NetworkingConfig and EndpointSettings, its NetworkSettings in
// inspect, and the /networks resource (create, inspect/list, connect, disconnect, prune).
import type { Labels, OpenString } from './common.ts';

/** "80/tcp" → bindings (null: exposed, no binding). */
export type PortMap = Record<string, PortBinding[] | null>;
/** Exposed ports: "80/tcp" → {}. */
export type PortSet = Record<string, object>;

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** POST /containers/create's NetworkingConfig. */
export interface NetworkingConfig {
  /** Network name or ID → the container's settings on it. */
  EndpointsConfig?: Record<string, EndpointSettings> | null;
}

export interface EndpointIPAMConfig {
  IPv4Address?: string;
  IPv6Address?: string;
  LinkLocalIPs?: string[] | null;
}

/**
 * A container's endpoint on one network: what a client asks for (IPAMConfig, Links,
 * Aliases, MacAddress, DriverOpts) and what the daemon reports (the rest).
 */
export interface EndpointSettings {
  IPAMConfig?: EndpointIPAMConfig | null;
  Links?: string[] | null;
  /** Extra DNS names on this network. */
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  /** Which endpoint carries the default routes: the highest first (API 1.48's field, honoured). */
  GwPriority?: number;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  /** Every DNS name the container has on this network. */
  DNSNames?: string[] | null;
}

export interface Address {
  Addr: string;
  PrefixLen: number;
}

/** A published or exposed port in `ps` (Go's types.Port). */
export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: OpenString<'tcp' | 'udp' | 'sctp'>;
}

/** A container's NetworkSettings in inspect. */
export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  Ports: PortMap | null;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  /** Deprecated: never set. */
  SecondaryIPAddresses: Address[] | null;
  /** Deprecated: never set. */
  SecondaryIPv6Addresses: Address[] | null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings> | null;
}

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string> | null;
}

export interface IPAM {
  /** "default". */
  Driver?: string;
  Config?: IPAMConfig[] | null;
  Options?: Record<string, string> | null;
}

export interface ConfigReference {
  Network?: string;
}

export interface PeerInfo {
  Name: string;
  IP: string;
}

/** A container on a network, in the network's inspect. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** CIDR notation. */
  IPv4Address: string;
  IPv6Address: string;
}

export type NetworkScope = OpenString<'local' | 'global' | 'swarm'>;

/** GET /networks/{id} (and each entry of GET /networks). */
export interface NetworkInspect {
  Name: string;
  Id: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  Scope: NetworkScope;
  Driver: string;
  /** API 1.48's field, which Berth already shows (always true: every network has IPv4). */
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM: IPAM;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: ConfigReference;
  ConfigOnly: boolean;
  /** Container ID → its endpoint (GET /networks leaves it empty). */
  Containers: Record<string, NetworkContainer> | null;
  Options: Record<string, string> | null;
  Labels: Labels | null;
  Peers?: PeerInfo[];
}

export type NetworkSummary = NetworkInspect;

/** POST /networks/create. */
export interface NetworkCreateRequest {
  Name?: string;
  /** "bridge" when empty. */
  Driver?: string;
  Scope?: NetworkScope;
  EnableIPv6?: boolean | null;
  /** API 1.48's field: false (an IPv6-only network) is refused, not dropped as dockerd does below 1.48. */
  EnableIPv4?: boolean | null;
  IPAM?: IPAM | null;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: ConfigReference | null;
  Options?: Record<string, string> | null;
  Labels?: Labels | null;
  /** Deprecated: duplicates are always refused. */
  CheckDuplicate?: boolean | null;
}

export interface NetworkCreateResponse {
  Id: string;
  Warning: string;
}

/** POST /networks/{id}/connect. */
export interface NetworkConnectRequest {
  Container?: string;
  EndpointConfig?: EndpointSettings | null;
}

/** POST /networks/{id}/disconnect. */
export interface NetworkDisconnectRequest {
  Container?: string;
  Force?: boolean;
}

export interface NetworkPruneResponse {
  NetworksDeleted: string[] | null;
}
