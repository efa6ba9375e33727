// Which of a container's endpoints carries its default routes, as Docker decides it: the
// endpoints are ordered by their GwPriority (highest first), then non-internal before
// internal, then dual-stack before single-stack, then by network name; the IPv4 default
// route goes out of the first endpoint whose network has an IPv4 gateway, the IPv6 one out
// of the first with an IPv6 gateway. So a container whose primary network is internal still
// reaches out through its other networks, and `gw-priority` picks among them.

export interface GatewayCandidate {
  network: string;
  priority: number;
  internal: boolean;
  /** The network gives this endpoint an IPv4 / IPv6 default route (not internal, family configured). */
  v4: boolean;
  v6: boolean;
}

/** Docker's order of gateway candidates (libnetwork's endpoint ordering). */
export function compareCandidates(a: GatewayCandidate, b: GatewayCandidate): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.internal !== b.internal) return a.internal ? 1 : -1;
  const count = (c: GatewayCandidate) => Number(c.v4) + Number(c.v6);
  if (count(a) !== count(b)) return count(b) - count(a);
  return a.network < b.network ? -1 : a.network > b.network ? 1 : 0;
}

/** The indexes (into `candidates`) of the IPv4 and IPv6 gateway endpoints, if any. */
export function pickGateways(candidates: readonly GatewayCandidate[]): { v4?: number; v6?: number } {
  const order = candidates.map((c, i) => ({ c, i })).sort((x, y) => compareCandidates(x.c, y.c) || x.i - y.i);
  return { v4: order.find((x) => x.c.v4)?.i, v6: order.find((x) => x.c.v6)?.i };
}
