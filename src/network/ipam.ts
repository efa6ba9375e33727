// Address allocation inside one subnet. The allocations themselves are persisted as
// endpoint records (network/store.ts); this picks the next free address after the last
// one handed out (as Docker does, so a released address is not reused at once).
import { conflict, invalidArgument } from '../common/errors.ts';
import { broadcast, contains, formatIp, formatSubnet, nth, parseIp, size, type Subnet } from './ipv4.ts';

export interface Pool {
  subnet: Subnet;
  /** Where dynamic addresses come from (--ip-range); the whole subnet by default. */
  range: Subnet;
  gateway: number;
}

export function allocate(pool: Pool, used: ReadonlySet<number>, after: number, requested?: string): number {
  if (requested) {
    const ip = parseIp(requested);
    if (ip === undefined) throw invalidArgument(`invalid IPv4 address: ${requested}`);
    if (!contains(pool.subnet, ip))
      throw invalidArgument(
        `invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${requested}`,
      );
    if (used.has(ip) || ip === pool.gateway) throw conflict(`Address already in use`);
    return ip;
  }
  const first = nth(pool.range, pool.range.prefix >= 31 ? 0 : 1);
  const last = pool.range.prefix >= 31 ? broadcast(pool.range) : broadcast(pool.range) - 1;
  const n = last - first + 1;
  const start = after >= first && after < last ? after + 1 - first : 0;
  for (let i = 0; i < n; i++) {
    const ip = first + ((start + i) % n);
    if (ip === pool.gateway || used.has(ip) || ip === broadcast(pool.subnet)) continue;
    return ip >>> 0;
  }
  throw invalidArgument(`no available IPv4 addresses on this network's address pools: ${formatSubnet(pool.subnet)}`);
}

export const describe = (p: Pool) => ({
  Subnet: formatSubnet(p.subnet),
  Gateway: formatIp(p.gateway),
  size: size(p.subnet),
});
