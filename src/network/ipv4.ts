// IPv4 addresses and subnets as numbers: parsing with Docker's messages, containment,
// overlap, and the n-th address of a subnet. Pure functions.
import { invalidArgument } from '../common/errors.ts';

export interface Subnet {
  base: number;
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

export const formatIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `10.1.0.0/16`; host bits set are an error as in Docker ("invalid subnet"). */
export function parseSubnet(s: string, what = 'subnet'): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  const ip = m ? parseIp(m[1]) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) throw invalidArgument(`invalid CIDR address: ${s}`);
  if ((ip & maskOf(prefix)) >>> 0 !== ip)
    throw invalidArgument(
      `invalid ${what} ${s}: it should be ${formatSubnet({ base: (ip & maskOf(prefix)) >>> 0, prefix })}`,
    );
  return { base: ip, prefix };
}

export const formatSubnet = (s: Subnet) => `${formatIp(s.base)}/${s.prefix}`;
export const size = (s: Subnet) => 2 ** (32 - s.prefix);
export const contains = (s: Subnet, ip: number) => (ip & maskOf(s.prefix)) >>> 0 === s.base;
export const overlaps = (a: Subnet, b: Subnet) => contains(a, b.base) || contains(b, a.base);
export const nth = (s: Subnet, i: number) => (s.base + i) >>> 0;
export const broadcast = (s: Subnet) => (s.base + size(s) - 1) >>> 0;

/** Docker's MAC for an address: 02:42 followed by the four IPv4 bytes. */
export function macFor(ip: number): string {
  return [
    '02',
    '42',
    ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0')),
  ].join(':');
}

/** The reverse-lookup name: 2.0.17.172.in-addr.arpa. */
export const ptrName = (ip: number) => `${ip & 255}.${(ip >>> 8) & 255}.${(ip >>> 16) & 255}.${ip >>> 24}.in-addr.arpa`;
