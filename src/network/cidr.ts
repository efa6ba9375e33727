// IPv4 and IPv6 addresses and subnets as big integers: parsing with Docker's messages,
// canonical formatting (RFC 5952 for IPv6), containment, overlap, the n-th address of a
// subnet, and the names derived from an address (Docker's MAC, reverse-lookup names).
// Pure functions.
import { invalidArgument } from '../common/errors.ts';

export type Family = 4 | 6;

export interface Addr {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  base: bigint;
  prefix: number;
}

const bits = (f: Family) => (f === 4 ? 32 : 128);

function parseV4(s: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return BigInt(((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3]);
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.includes(':::')) return undefined;
  let tail: bigint[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseV4(v4[2]);
    if (n === undefined) return undefined;
    tail = [n >> 16n, n & 0xffffn];
    s = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [
    ...head.map((g) => BigInt(parseInt(g, 16))),
    ...Array<bigint>(8 - given).fill(0n),
    ...rest.map((g) => BigInt(parseInt(g, 16))),
    ...tail,
  ];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** An IPv4 or IPv6 address (no zone, no brackets), or undefined. */
export function parseAddr(s: string): Addr | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

export function formatAddr(a: Addr): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((a.value >> sh) & 255n)).join('.');
  const g = Array.from({ length: 8 }, (_, i) => Number((a.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run (first of equals) of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const mask = (f: Family, prefix: number) => {
  const all = (1n << BigInt(bits(f))) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits(f) - prefix)) << BigInt(bits(f) - prefix);
};

/** `10.1.0.0/16` or `fd00::/64`; host bits set are an error as in Docker ("invalid subnet"). */
export function parseCidr(s: string, what = 'subnet'): Cidr {
  const slash = s.lastIndexOf('/');
  const a = slash > 0 ? parseAddr(s.slice(0, slash)) : undefined;
  const len = slash > 0 ? s.slice(slash + 1) : '';
  const prefix = /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!a || !(prefix >= 0 && prefix <= bits(a.family))) throw invalidArgument(`invalid CIDR address: ${s}`);
  const base = a.value & mask(a.family, prefix);
  if (base !== a.value)
    throw invalidArgument(`invalid ${what} ${s}: it should be ${formatCidr({ family: a.family, base, prefix })}`);
  return { family: a.family, base, prefix };
}

/** The subnet an address with a prefix belongs to (`172.17.0.1/16` → 172.17.0.0/16). */
export function cidrOf(a: Addr, prefix: number): Cidr {
  return { family: a.family, base: a.value & mask(a.family, prefix), prefix };
}

export const formatCidr = (c: Cidr) => `${formatAddr({ family: c.family, value: c.base })}/${c.prefix}`;
export const size = (c: Cidr) => 1n << BigInt(bits(c.family) - c.prefix);
export const contains = (c: Cidr, a: Addr) => a.family === c.family && (a.value & mask(c.family, c.prefix)) === c.base;
export const overlaps = (a: Cidr, b: Cidr) =>
  a.family === b.family &&
  (contains(a, { family: b.family, value: b.base }) || contains(b, { family: a.family, value: a.base }));
export const nth = (c: Cidr, i: bigint): Addr => ({ family: c.family, value: c.base + i });
export const lastOf = (c: Cidr): Addr => ({ family: c.family, value: c.base + size(c) - 1n });

/** Docker's MAC for an IPv4 address: 02:42 followed by its four bytes. */
export function macFor(a: Addr): string {
  const b = [24n, 16n, 8n, 0n].map((sh) => Number((a.value >> sh) & 255n));
  return ['02', '42', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

/** The reverse-lookup name: 2.0.17.172.in-addr.arpa, or the nibbles of ip6.arpa. */
export function ptrName(a: Addr): string {
  if (a.family === 4) return `${[0n, 8n, 16n, 24n].map((sh) => String((a.value >> sh) & 255n)).join('.')}.in-addr.arpa`;
  const hex = a.value.toString(16).padStart(32, '0');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}

/** Canonical text of an address given as text (`fd00:0::1` → `fd00::1`); undefined if invalid. */
export function canonical(s: string): string | undefined {
  const a = parseAddr(s);
  return a ? formatAddr(a) : undefined;
}

/** A Unique Local Address /48 (fdXX:XXXX:XXXX::/48) from 40 bits of a seed (RFC 4193). */
export function ulaBase(seedHex: string): Cidr {
  const global = BigInt(`0x${seedHex.slice(0, 10).padEnd(10, '0')}`);
  return { family: 6, base: ((0xfdn << 40n) | global) << 80n, prefix: 48 };
}
