// Address allocation inside one subnet (IPv4 or IPv6). The allocations themselves are
// persisted as endpoint records (network/store.ts); this picks the next free address after
// the last one handed out (as Docker does, so a released address is not reused at once).
// The search is bounded by the number of addresses in use, never by the subnet's size.
import { conflict, invalidArgument } from '../common/errors.ts';
import { contains, formatCidr, lastOf, parseAddr, size, type Cidr } from './cidr.ts';

export interface Pool {
  subnet: Cidr;
  /** Where dynamic addresses come from (--ip-range); the whole subnet by default. */
  range: Cidr;
  /** The gateway and the auxiliary addresses: never handed out. */
  reserved: ReadonlySet<bigint>;
}

/** The subnet's own address and (IPv4) its broadcast are never a host's. */
function special(pool: Pool, v: bigint): boolean {
  const s = pool.subnet;
  const tiny = s.family === 4 ? s.prefix >= 31 : s.prefix >= 127;
  if (tiny) return false;
  return v === s.base || (s.family === 4 && v === lastOf(s).value);
}

export function allocate(pool: Pool, used: ReadonlySet<bigint>, after: bigint, requested?: string): bigint {
  const f = pool.subnet.family;
  if (requested) {
    const a = parseAddr(requested);
    if (!a || a.family !== f) throw invalidArgument(`invalid IPv${f} address: ${requested}`);
    if (!contains(pool.subnet, a))
      throw invalidArgument(
        `invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${requested}`,
      );
    if (used.has(a.value) || pool.reserved.has(a.value)) throw conflict('Address already in use');
    return a.value;
  }
  const first = pool.range.base;
  const n = size(pool.range);
  const start = after >= first && after < first + n - 1n ? after + 1n - first : 0n;
  // Every address skipped is in use, reserved or special: this ends within their count.
  const limit = BigInt(used.size + pool.reserved.size) + 3n;
  for (let i = 0n; i < n && i < limit; i++) {
    const v = first + ((start + i) % n);
    if (special(pool, v) || pool.reserved.has(v) || used.has(v)) continue;
    return v;
  }
  throw invalidArgument(`no available IPv${f} addresses on this network's address pools: ${formatCidr(pool.subnet)}`);
}
