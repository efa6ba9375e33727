// A container's settings for one network (EndpointsConfig / `network connect`): Aliases,
// Links, MacAddress, IPAMConfig (IPv4Address, IPv6Address, LinkLocalIPs) and DriverOpts,
// checked with Docker's messages. Docker's endpoint options Berth acts on are the
// interface name and per-interface sysctls; any other `com.docker.network.*` option is
// refused by name, never taken and dropped. GwPriority orders the endpoints for the
// default routes (gateway.ts). The rest of EndpointSettings (NetworkID, EndpointID,
// Gateway, IPAddress, IPPrefixLen, IPv6Gateway, GlobalIPv6Address…, DNSNames) is what
// inspect reports: read-only, and skipped on input as dockerd skips it — Compose sends
// IPAddress alongside IPAMConfig, and tools that duplicate a container send inspect's
// output back; a static address is asked for in IPAMConfig.
import { invalidArgument } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { EndpointConfig } from '../../containers/types.ts';
import { contains, parseAddr, parseCidr } from '../../network/cidr.ts';
import type { NetworkRecord } from '../../network/store.ts';

const IFNAME = 'com.docker.network.endpoint.ifname';
const SYSCTLS = 'com.docker.network.endpoint.sysctls';
const IFNAME_PLACEHOLDER = 'IFNAME';

/** The endpoint settings a container has for a network (keyed by its name or its ID). */
export function endpointConfigOf(c: Container, n: NetworkRecord): EndpointConfig {
  return c.record.endpointsConfig?.[n.name] ?? c.record.endpointsConfig?.[n.id] ?? {};
}

const LINK_LOCAL = [parseCidr('169.254.0.0/16'), parseCidr('fe80::/10')];

/** `net.ipv4.conf.IFNAME.forwarding=1,...` → keys under /proc/sys with the interface in place. */
function parseSysctls(spec: string): (ifname: string) => Record<string, string> {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const eq = s.indexOf('=');
      const key = eq > 0 ? s.slice(0, eq).trim() : '';
      const parts = key.split('.');
      if (
        eq <= 0 ||
        parts.length < 5 ||
        parts[0] !== 'net' ||
        !['ipv4', 'ipv6', 'mpls'].includes(parts[1]) ||
        parts[2] !== 'conf' ||
        // The docker CLI lowercases --network driver-opt values: the placeholder may be `ifname`.
        parts[3].toUpperCase() !== IFNAME_PLACEHOLDER ||
        parts.slice(4).some((p) => !/^[\w-]+$/.test(p))
      )
        throw invalidArgument(
          `invalid ${SYSCTLS} entry ${JSON.stringify(s)}: expected net.(ipv4|ipv6|mpls).conf.IFNAME.<setting>=<value>`,
        );
      const value = s.slice(eq + 1).trim();
      if (!/^[\w.:-]*$/.test(value)) throw invalidArgument(`invalid value in ${SYSCTLS}: ${JSON.stringify(s)}`);
      return { parts, value };
    });
  return (ifname) =>
    Object.fromEntries(items.map((i) => [[...i.parts.slice(0, 3), ifname, ...i.parts.slice(4)].join('/'), i.value]));
}

export interface EndpointOptions {
  ifname?: string;
  sysctls(ifname: string): Record<string, string>;
}

export function endpointOptions(ec: EndpointConfig): EndpointOptions {
  const o = ec.DriverOpts ?? {};
  return { ifname: o[IFNAME] || undefined, sysctls: o[SYSCTLS] ? parseSysctls(o[SYSCTLS]) : () => ({}) };
}

/** Checks that need no network: addresses, MAC, options, links (at create and connect; types are the decoder's). */
export function checkEndpointShape(_name: string, e: EndpointConfig): void {
  for (const l of e.Links ?? [])
    if (!/^\/?[a-zA-Z0-9][\w.-]*(:[\w.-]+)?$/.test(l)) throw invalidArgument(`invalid link ${JSON.stringify(l)}`);
  if (e.MacAddress) {
    if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(e.MacAddress))
      throw invalidArgument(`invalid MAC address: ${e.MacAddress}`);
    if (parseInt(e.MacAddress.slice(0, 2), 16) & 1)
      throw invalidArgument(`invalid MAC address: ${e.MacAddress}: a multicast address`);
  }
  const ipam = e.IPAMConfig ?? {};
  if (ipam.IPv4Address && parseAddr(ipam.IPv4Address)?.family !== 4)
    throw invalidArgument(`invalid IPv4 address: ${ipam.IPv4Address}`);
  if (ipam.IPv6Address && parseAddr(ipam.IPv6Address)?.family !== 6)
    throw invalidArgument(`invalid IPv6 address: ${ipam.IPv6Address}`);
  for (const ll of ipam.LinkLocalIPs ?? []) {
    const a = parseAddr(ll);
    if (!a || !LINK_LOCAL.some((c) => contains(c, a))) throw invalidArgument(`invalid link-local IP address: ${ll}`);
  }
  const opts = e.DriverOpts ?? {};
  for (const k of Object.keys(opts))
    if (k.startsWith('com.docker.network.') && k !== IFNAME && k !== SYSCTLS)
      throw invalidArgument(`the endpoint driver option ${k} is not supported by this engine`);
  if (opts[IFNAME] !== undefined && !/^[a-zA-Z][\w.-]{0,14}$/.test(opts[IFNAME]))
    throw invalidArgument(`invalid interface name ${JSON.stringify(opts[IFNAME])} in ${IFNAME}`);
  if (opts[SYSCTLS] !== undefined) parseSysctls(opts[SYSCTLS]);
}

/** What the network decides: static addresses on user-defined networks, IPv6 only where enabled. */
export function checkEndpointConfig(n: NetworkRecord, ec: EndpointConfig, userDefined: boolean): void {
  const ipam = ec.IPAMConfig ?? {};
  if ((ipam.IPv4Address || ipam.IPv6Address) && !userDefined)
    throw invalidArgument('user specified IP address is supported on user defined networks only');
  if (ipam.IPv6Address && !n.ipam6)
    throw invalidArgument(
      `invalid endpoint settings:\nIPv6 address ${ipam.IPv6Address} given, but network ${n.name} has no IPv6 (create it with --ipv6)`,
    );
  if (ec.MacAddress && n.driver === 'ipvlan')
    throw invalidArgument('a MAC address cannot be set on an ipvlan network: its endpoints share their parent’s');
  if (ec.Aliases?.length && !userDefined)
    throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
}
