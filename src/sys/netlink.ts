// rtnetlink messages, encoded and decoded as bytes (no I/O here: `netns-worker.ts` sends
// them). Only what container networking needs: links (veth pairs, macvlan/ipvlan, up,
// master, MTU, MAC, delete, look-up by name), IPv4 and IPv6 addresses and default routes. Host byte order is
// little-endian on every platform we run on (x86-64, arm64).

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** Flags of an NLMSG_ERROR: the request was cut to its header; extended-ack TLVs follow. */
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;

const AF_INET = 2;
const AF_INET6 = 10;
export const IFF_UP = 0x1;
const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_MASTER = 10;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_MACVLAN_MODE = 1;
const IFLA_IPVLAN_MODE = 1;
const IFLA_IPVLAN_FLAGS = 2;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
/** No duplicate address detection: the address is usable at once (as Docker adds container IPv6 addresses). */
export const IFA_F_NODAD = 0x02;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

const HDR = 16;
const align = (n: number) => (n + 3) & ~3;

// ---- encoding -------------------------------------------------------------------------

/** One attribute: header, payload, padding to 4 bytes. */
export function nla(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(align(4 + payload.length));
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
export const nlaStr = (type: number, s: string) => nla(type, Buffer.from(`${s}\0`));
export function nlaU32(type: number, n: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(n >>> 0);
  return nla(type, p);
}
export const nest = (type: number, children: Buffer[]) => nla(type, Buffer.concat(children));

export function message(type: number, flags: number, seq: number, body: Buffer, attrs: Buffer[] = []): Buffer {
  const b = Buffer.concat([Buffer.alloc(HDR), body, ...attrs]);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  return b; // pid 0: the kernel
}

export function ifinfomsg(o: { index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16); // family AF_UNSPEC, type 0
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE(o.flags ?? 0, 8);
  b.writeUInt32LE(o.change ?? 0, 12);
  return b;
}

export function parseIpv4(s: string): Buffer {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255))
    throw new TypeError(`not an IPv4 address: ${s}`);
  return Buffer.from(p.map(Number));
}

export function parseIpv6(s: string): Buffer {
  const halves = s.split('::');
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length > 2 || (halves.length === 1 ? fill !== 0 : fill < 1))
    throw new TypeError(`not an IPv6 address: ${s}`);
  const all = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new TypeError(`not an IPv6 address: ${s}`);
  const b = Buffer.alloc(16);
  for (const [i, g] of all.entries()) b.writeUInt16BE(parseInt(g, 16), i * 2);
  return b;
}

/** An address's family and bytes (IPv6 when it has a colon). */
function parseIpAny(s: string): { family: number; bytes: Buffer } {
  return s.includes(':') ? { family: AF_INET6, bytes: parseIpv6(s) } : { family: AF_INET, bytes: parseIpv4(s) };
}

export function parseMac(s: string): Buffer {
  const p = s.split(':');
  if (p.length !== 6 || p.some((x) => !/^[0-9a-fA-F]{2}$/.test(x))) throw new TypeError(`not a MAC address: ${s}`);
  return Buffer.from(p.map((x) => parseInt(x, 16)));
}

const upFlags = (up: boolean | undefined) => (up ? { flags: IFF_UP, change: IFF_UP } : {});

export interface VethSpec {
  name: string;
  mtu: number;
  /** ifindex of the bridge the host end joins. */
  master?: number;
  up?: boolean;
  /**
   * No `up` for the peer: it is registered before the pair is linked, and opening a veth
   * without its peer fails (ENOTCONN). Bring it up with `setLinkUp` afterwards.
   */
  peer: { name: string; mtu: number; mac?: string /** fd of the namespace the peer is made in */; nsFd?: number };
}

/** `ip link add NAME mtu M master B up type veth peer name P mtu M address MAC netns NS` in one message. */
export function newVeth(seq: number, v: VethSpec): Buffer {
  const peer = [nlaStr(IFLA_IFNAME, v.peer.name), nlaU32(IFLA_MTU, v.peer.mtu)];
  if (v.peer.mac) peer.push(nla(IFLA_ADDRESS, parseMac(v.peer.mac)));
  if (v.peer.nsFd !== undefined) peer.push(nlaU32(IFLA_NET_NS_FD, v.peer.nsFd));
  const info = nest(IFLA_LINKINFO, [
    nlaStr(IFLA_INFO_KIND, 'veth'),
    nest(IFLA_INFO_DATA, [nla(VETH_INFO_PEER, Buffer.concat([ifinfomsg(), ...peer]))]),
  ]);
  const attrs = [
    nlaStr(IFLA_IFNAME, v.name),
    nlaU32(IFLA_MTU, v.mtu),
    ...(v.master ? [nlaU32(IFLA_MASTER, v.master)] : []),
    info,
  ];
  return message(
    RTM_NEWLINK,
    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    seq,
    ifinfomsg(upFlags(v.up)),
    attrs,
  );
}

/** Brings a link (by name) up. */
export const setLinkUp = (seq: number, name: string) =>
  message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifinfomsg(upFlags(true)), [nlaStr(IFLA_IFNAME, name)]);

export const delLink = (seq: number, name: string) =>
  message(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifinfomsg(), [nlaStr(IFLA_IFNAME, name)]);

/** Asks for one link by name: the answer is an RTM_NEWLINK (see `parseLink`). */
export const getLink = (seq: number, name: string) =>
  message(RTM_GETLINK, NLM_F_REQUEST, seq, ifinfomsg(), [nlaStr(IFLA_IFNAME, name)]);

/** `ip addr add A/P dev <index>` (IPv4 or IPv6; `nodad` for an IPv6 address usable at once). */
export function newAddr(seq: number, index: number, cidr: string, opts: { nodad?: boolean } = {}): Buffer {
  const [ip, len] = cidr.split('/');
  const a = parseIpAny(ip);
  const max = a.family === AF_INET ? 32 : 128;
  const prefix = Number(len ?? max);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new TypeError(`bad prefix length in ${cidr}`);
  const flags = opts.nodad ? IFA_F_NODAD : 0;
  const body = Buffer.alloc(8);
  body.writeUInt8(a.family, 0);
  body.writeUInt8(prefix, 1);
  body.writeUInt8(flags, 2);
  body.writeUInt8(RT_SCOPE_UNIVERSE, 3);
  body.writeUInt32LE(index, 4);
  const attrs =
    a.family === AF_INET ? [nla(IFA_LOCAL, a.bytes), nla(IFA_ADDRESS, a.bytes)] : [nla(IFA_ADDRESS, a.bytes)];
  if (flags) attrs.push(nlaU32(IFA_FLAGS, flags));
  return message(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, body, attrs);
}

/**
 * `ip route add default via G dev <index>`; with `family` and no gateway,
 * `ip [-6] route add default dev <index>` (an ipvlan in L3 mode has no next hop). With
 * `replace`, `ip route replace`: the default route moves to this link (or is made).
 */
export function newDefaultRoute(
  seq: number,
  index: number,
  gateway: string | { family: 4 | 6 },
  replace = false,
): Buffer {
  const gw = typeof gateway === 'string' ? parseIpAny(gateway) : undefined;
  const family = gw?.family ?? (typeof gateway === 'string' || gateway.family === 4 ? AF_INET : AF_INET6);
  const scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  const body = Buffer.from([family, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, scope, RTN_UNICAST, 0, 0, 0, 0]);
  const how = replace ? NLM_F_REPLACE : NLM_F_EXCL;
  return message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | how, seq, body, [
    ...(gw ? [nla(RTA_GATEWAY, gw.bytes)] : []),
    nlaU32(RTA_OIF, index),
  ]);
}

export interface SubLinkSpec {
  kind: 'macvlan' | 'ipvlan';
  /** Its name in the namespace it is made in. */
  name: string;
  /** ifindex of the parent link (in the namespace of the socket the request goes to). */
  parent: number;
  mtu: number;
  /** macvlan: private 1, vepa 2, bridge 4, passthru 8; ipvlan: l2 0, l3 1, l3s 2. */
  mode: number;
  /** ipvlan: bridge 0, private 1, vepa 2. */
  flags?: number;
  mac?: string;
  /** fd of the namespace it is made in (the parent stays where it is). */
  nsFd?: number;
}

/** `ip link add link PARENT name N mtu M [address MAC] netns NS type macvlan mode X` (or ipvlan) in one message. */
export function newSubLink(seq: number, v: SubLinkSpec): Buffer {
  const mode = Buffer.alloc(v.kind === 'macvlan' ? 4 : 2);
  if (v.kind === 'macvlan') mode.writeUInt32LE(v.mode);
  else mode.writeUInt16LE(v.mode);
  const data =
    v.kind === 'macvlan'
      ? [nla(IFLA_MACVLAN_MODE, mode)]
      : [nla(IFLA_IPVLAN_MODE, mode), nla(IFLA_IPVLAN_FLAGS, Buffer.from([v.flags ?? 0, 0]))];
  const attrs = [
    nlaStr(IFLA_IFNAME, v.name),
    nlaU32(IFLA_MTU, v.mtu),
    nlaU32(IFLA_LINK, v.parent),
    ...(v.mac ? [nla(IFLA_ADDRESS, parseMac(v.mac))] : []),
    ...(v.nsFd !== undefined ? [nlaU32(IFLA_NET_NS_FD, v.nsFd)] : []),
    nest(IFLA_LINKINFO, [nlaStr(IFLA_INFO_KIND, v.kind), nest(IFLA_INFO_DATA, data)]),
  ];
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, ifinfomsg(), attrs);
}

// ---- decoding -------------------------------------------------------------------------

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

/** Splits a datagram into messages; a truncated one ends the list. */
export function parseMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  for (let off = 0; off + HDR <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    if (len < HDR || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + HDR, off + len),
    });
    off += align(len);
  }
  return out;
}

export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (let off = 0; off + 4 <= buf.length; ) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    m.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len)); // minus NESTED/BYTEORDER bits
    off += align(len);
  }
  return m;
}

const cstr = (b: Buffer | undefined) =>
  b ? b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)).toString() : undefined;

/** An NLMSG_ERROR: errno 0 is an ACK; `text` is the kernel's extended-ack message. */
export function parseError(m: NlMessage): { errno: number; text?: string } {
  const errno = -m.payload.readInt32LE(0) || 0; // never -0
  if (!(m.flags & NLM_F_ACK_TLVS)) return { errno };
  // After the error: the request's header (capped) or the whole request.
  const reqLen = m.flags & NLM_F_CAPPED ? HDR : m.payload.readUInt32LE(4);
  return { errno, text: cstr(parseAttrs(m.payload.subarray(4 + align(reqLen))).get(NLMSGERR_ATTR_MSG)) };
}

export interface LinkInfo {
  index: number;
  flags: number;
  name?: string;
  mtu?: number;
  master?: number;
}

export function parseLink(m: NlMessage): LinkInfo {
  const p = m.payload;
  const a = parseAttrs(p.subarray(16));
  return {
    index: p.readInt32LE(4),
    flags: p.readUInt32LE(8),
    name: cstr(a.get(IFLA_IFNAME)),
    mtu: a.get(IFLA_MTU)?.readUInt32LE(0),
    master: a.get(IFLA_MASTER)?.readUInt32LE(0),
  };
}
