// Go types of the networks API's request bodies (moby api/types/network at API 1.47).
import type {
  ConfigReference,
  EndpointIPAMConfig,
  EndpointSettings,
  IPAM,
  IPAMConfig,
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkDisconnectRequest,
  NetworkingConfig,
} from '../types/networks.ts';
import { bool, int, map, slice, str, struct } from './go-json.ts';

const strings = slice(str);
const stringMap = map(str);

export const endpointIPAMConfig = struct<EndpointIPAMConfig>('network.EndpointIPAMConfig', {
  IPv4Address: str,
  IPv6Address: str,
  LinkLocalIPs: strings,
});

export const endpointSettings = struct<EndpointSettings>('network.EndpointSettings', {
  IPAMConfig: endpointIPAMConfig,
  Links: strings,
  Aliases: strings,
  MacAddress: str,
  DriverOpts: stringMap,
  GwPriority: int(),
  NetworkID: str,
  EndpointID: str,
  Gateway: str,
  IPAddress: str,
  IPPrefixLen: int(),
  IPv6Gateway: str,
  GlobalIPv6Address: str,
  GlobalIPv6PrefixLen: int(),
  DNSNames: strings,
});

export const networkingConfig = struct<NetworkingConfig>('network.NetworkingConfig', {
  EndpointsConfig: map(endpointSettings, 'map[string]*network.EndpointSettings'),
});

const ipamConfig = struct<IPAMConfig>('network.IPAMConfig', {
  Subnet: str,
  IPRange: str,
  Gateway: str,
  AuxiliaryAddresses: stringMap,
});

const ipam = struct<IPAM>('network.IPAM', {
  Driver: str,
  Options: stringMap,
  Config: slice(ipamConfig),
});

const configReference = struct<ConfigReference>('network.ConfigReference', { Network: str });

/** POST /networks/create (network.CreateRequest, network.CreateOptions embedded). */
export const networkCreateRequest = struct<NetworkCreateRequest>('network.CreateRequest', {
  Driver: str,
  Scope: str,
  EnableIPv6: bool,
  EnableIPv4: bool,
  IPAM: ipam,
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  ConfigOnly: bool,
  ConfigFrom: configReference,
  Options: stringMap,
  Labels: stringMap,
  Name: str,
  CheckDuplicate: bool,
});

/** POST /networks/{id}/connect. */
export const networkConnectRequest = struct<NetworkConnectRequest>('network.ConnectOptions', {
  Container: str,
  EndpointConfig: endpointSettings,
});

/** POST /networks/{id}/disconnect. */
export const networkDisconnectRequest = struct<NetworkDisconnectRequest>('network.DisconnectOptions', {
  Container: str,
  Force: bool,
});
