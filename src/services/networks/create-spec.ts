// The body of POST /networks/create read into a NetworkSpec, with Docker's messages. Every
// field and option Docker acts on is either implemented or refused here by name: nothing
// is taken and dropped. Options outside Docker's `com.docker.network.` namespace are
// stored and echoed as Docker does (its drivers ignore them too).
import { invalidArgument, notFound } from '../../common/errors.ts';
import type { IPAMConfig, NetworkCreateRequest } from '../../api/types/networks.ts';
import type { NetworkDriver } from '../../network/store.ts';
import { parseAddr } from '../../network/cidr.ts';
import { goParseBool } from '../../common/go-values.ts';

export interface IpamConfigSpec {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  aux?: Record<string, string>;
}

export interface NetworkSpec {
  name: string;
  driver: NetworkDriver;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  enableIPv6?: boolean;
  ipamOptions?: Record<string, string>;
  /** One entry per family at most; `subnet` absent: picked from the pools. */
  v4?: IpamConfigSpec;
  v6?: IpamConfigSpec;
  /** The interface name of a bridge (the default bridge's is the daemon's --bridge). */
  bridge?: string;
  builtin?: boolean;
}

/** Driver options each driver acts on; any other `com.docker.network.*` key is refused. */
const BRIDGE_OPTIONS = new Set([
  'com.docker.network.bridge.name',
  'com.docker.network.bridge.enable_icc',
  'com.docker.network.bridge.enable_ip_masquerade',
  'com.docker.network.bridge.host_binding_ipv4',
  'com.docker.network.bridge.gateway_mode_ipv4',
  'com.docker.network.bridge.gateway_mode_ipv6',
  'com.docker.network.bridge.default_bridge',
  'com.docker.network.bridge.inhibit_ipv4',
  'com.docker.network.driver.mtu',
  'com.docker.network.container_iface_prefix',
  'com.docker.network.enable_ipv6',
  'com.docker.network.enable_ipv4',
]);
const SUBLINK_OPTIONS: Record<'macvlan' | 'ipvlan', Set<string>> = {
  macvlan: new Set([
    'parent',
    'macvlan_mode',
    'com.docker.network.driver.mtu',
    'com.docker.network.container_iface_prefix',
  ]),
  ipvlan: new Set([
    'parent',
    'ipvlan_mode',
    'ipvlan_flag',
    'com.docker.network.driver.mtu',
    'com.docker.network.container_iface_prefix',
  ]),
};
export const MACVLAN_MODES: Record<string, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8 };
export const IPVLAN_MODES: Record<string, number> = { l2: 0, l3: 1, l3s: 2 };
export const IPVLAN_FLAGS: Record<string, number> = { bridge: 0, private: 1, vepa: 2 };

const BOOLEAN_OPTIONS = [
  'com.docker.network.bridge.enable_icc',
  'com.docker.network.bridge.enable_ip_masquerade',
  'com.docker.network.bridge.default_bridge',
  'com.docker.network.bridge.inhibit_ipv4',
  'com.docker.network.enable_ipv6',
  'com.docker.network.enable_ipv4',
];

/** A boolean driver option read as Docker's driver reads it (strconv.ParseBool: 1, t, TRUE…); undefined if absent. */
export function boolOption(opts: Record<string, string>, key: string): boolean | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  try {
    return goParseBool(v);
  } catch (err) {
    throw invalidArgument(`failed to parse ${key} value: ${v} (${(err as Error).message})`);
  }
}

function checkOptions(driver: NetworkDriver, opts: Record<string, string>): void {
  const known = driver === 'macvlan' || driver === 'ipvlan' ? SUBLINK_OPTIONS[driver] : BRIDGE_OPTIONS;
  for (const k of Object.keys(opts)) {
    const docker =
      k.startsWith('com.docker.network.') || SUBLINK_OPTIONS.macvlan.has(k) || SUBLINK_OPTIONS.ipvlan.has(k);
    if (docker && !known.has(k))
      throw invalidArgument(`the ${driver} driver option ${k} is not supported by this engine`);
  }
  const oneOf = (k: string, values: string[]) => {
    if (opts[k] !== undefined && !values.includes(opts[k]))
      throw invalidArgument(`invalid value for ${k}: ${JSON.stringify(opts[k])} (one of ${values.join(', ')})`);
  };
  for (const k of BOOLEAN_OPTIONS) boolOption(opts, k);
  for (const k of ['com.docker.network.bridge.gateway_mode_ipv4', 'com.docker.network.bridge.gateway_mode_ipv6']) {
    // Docker 28's other modes change its firewall in ways ours does not follow.
    if (opts[k] === 'nat-unprotected' || opts[k] === 'isolated')
      throw invalidArgument(`${k}=${opts[k]} is not supported by this engine (nat or routed)`);
    oneOf(k, ['nat', 'routed']);
  }
  const binding = opts['com.docker.network.bridge.host_binding_ipv4'];
  if (binding !== undefined && !parseAddr(binding))
    throw invalidArgument(`failed to parse com.docker.network.bridge.host_binding_ipv4 value: ${binding} (nil ip)`);
  if (boolOption(opts, 'com.docker.network.bridge.inhibit_ipv4'))
    throw invalidArgument('com.docker.network.bridge.inhibit_ipv4 is not supported by this engine');
  if (boolOption(opts, 'com.docker.network.enable_ipv4') === false)
    throw invalidArgument('IPv6-only networks (com.docker.network.enable_ipv4=false) are not supported by this engine');
  oneOf('macvlan_mode', Object.keys(MACVLAN_MODES));
  oneOf('ipvlan_mode', Object.keys(IPVLAN_MODES));
  oneOf('ipvlan_flag', Object.keys(IPVLAN_FLAGS));
  const prefix = opts['com.docker.network.container_iface_prefix'];
  if (prefix !== undefined && !/^[a-zA-Z][a-zA-Z0-9_-]{0,10}$/.test(prefix))
    throw invalidArgument(`invalid com.docker.network.container_iface_prefix: ${JSON.stringify(prefix)}`);
}

function ipamEntry(c: IPAMConfig): IpamConfigSpec {
  const e: IpamConfigSpec = {
    subnet: c.Subnet || undefined,
    gateway: c.Gateway || undefined,
    ipRange: c.IPRange || undefined,
  };
  if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length) e.aux = { ...c.AuxiliaryAddresses };
  if (!e.subnet && (e.gateway || e.ipRange || e.aux))
    throw invalidArgument('invalid network config: a subnet is needed for a gateway, ip-range or auxiliary address');
  return e;
}

/** The request body of POST /networks/create (decoded at the edge) as a spec, or Docker's error. */
export function readNetworkSpec(body: NetworkCreateRequest): NetworkSpec {
  const name = body.Name ?? '';
  if (name.trim() === '') throw invalidArgument('network name must not be empty');
  if ([...name].some((ch) => ch.charCodeAt(0) < 32))
    throw invalidArgument(`invalid network name ${JSON.stringify(name)}: control characters`);
  const driverIn = body.Driver || 'bridge';
  const driver = driverIn as NetworkDriver;
  if (!['bridge', 'macvlan', 'ipvlan'].includes(driverIn)) {
    if (driverIn === 'overlay') throw invalidArgument('overlay networks need a swarm, which this engine does not run');
    if (driverIn === 'host' || driverIn === 'null')
      throw invalidArgument(`only one instance of "${driverIn}" network is allowed`);
    throw notFound(`plugin "${driverIn}" not found`);
  }
  const scope = body.Scope;
  if (scope && scope !== 'local')
    throw invalidArgument(`network scope ${JSON.stringify(scope)} is not supported by this engine (local only)`);
  if (body.Ingress) throw invalidArgument('ingress networks need a swarm, which this engine does not run');
  if (body.ConfigOnly) throw invalidArgument('config-only networks are not supported by this engine');
  if (body.ConfigFrom?.Network) throw invalidArgument('--config-from is not supported by this engine');
  if (body.EnableIPv4 === false)
    throw invalidArgument('IPv6-only networks (EnableIPv4: false, --ipv4=false) are not supported by this engine');
  const options = { ...body.Options };
  checkOptions(driver, options);
  if (boolOption(options, 'com.docker.network.bridge.default_bridge'))
    throw invalidArgument('com.docker.network.bridge.default_bridge belongs to the default bridge network only');
  const enableIPv6 = body.EnableIPv6 ?? (boolOption(options, 'com.docker.network.enable_ipv6') || undefined);
  const ipam = body.IPAM ?? {};
  if (ipam.Driver && ipam.Driver !== 'default') throw notFound(`plugin "${ipam.Driver}" not found`);
  // The default IPAM driver takes no options of its own (Docker's neither): other keys are
  // stored and echoed as Docker does; one in Docker's reserved namespace asks for something.
  for (const k of Object.keys(ipam.Options ?? {}))
    if (k.startsWith('com.docker.network.'))
      throw invalidArgument(`the IPAM option ${k} is not supported by this engine's default IPAM driver`);
  const entries = (ipam.Config ?? []).map(ipamEntry);
  const v6s = entries.filter((e) => e.subnet?.includes(':'));
  const v4s = entries.filter((e) => !e.subnet?.includes(':'));
  if (v4s.length > 1) throw invalidArgument('more than one IPv4 subnet per network is not supported by this engine');
  if (v6s.length > 1) throw invalidArgument('more than one IPv6 subnet per network is not supported by this engine');
  if (v6s.length && !enableIPv6)
    throw invalidArgument(`IPv6 subnet ${v6s[0].subnet} given, but IPv6 is not enabled on the network (--ipv6)`);
  return {
    name,
    driver,
    internal: body.Internal,
    attachable: body.Attachable,
    labels: { ...body.Labels },
    options,
    enableIPv6: enableIPv6 ?? undefined,
    ipamOptions: { ...ipam.Options },
    v4: v4s[0],
    v6: v6s[0],
  };
}
