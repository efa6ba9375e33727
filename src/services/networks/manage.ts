// GET /networks, GET /networks/{id}, DELETE /networks/{id}, POST /networks/prune.
import { conflict, forbidden, invalidArgument, notFound } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { matchLabels, matchNotLabels, pruneUntil } from '../filters.ts';
import { deleteBridge, deleteLink } from '../../network/links.ts';
import type { NetworkRecord } from '../../network/store.ts';
import { networkView } from './views.ts';
import { connectedNetworks, releaseContainer } from './attach.ts';
import type { NetworkDeps } from './deps.ts';
import type { NetworkPruneResponse, NetworkSummary } from '../../api/types/networks.ts';

const FILTERS = new Set(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);

function matches(deps: NetworkDeps, n: NetworkRecord, f: Map<string, string[]>): boolean {
  for (const k of f.keys()) if (!FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const any = (k: string, test: (v: string) => boolean) => !f.has(k) || f.get(k)!.some(test);
  return (
    any('name', (v) => n.name.includes(v)) &&
    any('id', (v) => n.id.startsWith(v)) &&
    any('driver', (v) => v === n.driver) &&
    any('scope', (v) => v === 'local') &&
    any('type', (v) => (v === 'custom') === !n.builtin) &&
    any('dangling', (v) => (v === 'true' || v === '1') === (!n.builtin && deps.store.endpointsOn(n.id).length === 0)) &&
    (!f.has('label') || matchLabels(n.labels, f.get('label')))
  );
}

export function listNetworks(deps: NetworkDeps, filters: Map<string, string[]>): NetworkSummary[] {
  return deps.store
    .networks()
    .filter((n) => matches(deps, n, filters))
    .sort((a, b) => a.created.localeCompare(b.created))
    .map((n) => networkView(deps, n, false));
}

/** GET /networks/{id}; `scope` (swarm, global) finds none of our networks: they are all local. */
export function inspectNetwork(deps: NetworkDeps, idOrName: string, scope?: string) {
  const n = deps.store.resolve(idOrName);
  if (scope && scope !== 'local') throw notFound(`network ${idOrName} not found`);
  return networkView(deps, n);
}

async function removeOne(deps: NetworkDeps, n: NetworkRecord): Promise<void> {
  if (n.builtin) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
  // An endpoint of a container that is gone or no longer running is being released (a
  // `run --rm` answers before its teardown ends): finish that release, not refuse.
  for (const id of new Set(deps.store.endpointsOn(n.id).map((e) => e.container))) {
    if (deps.containers.get(id)?.runtime.state.Status === 'running') continue;
    await deps.locks.run(`net:${id}`, () => releaseContainer(deps, id));
  }
  const eps = deps.store.endpointsOn(n.id);
  const users = deps.containers.list().filter((c) => connectedNetworks(c).some((x) => x === n.name || x === n.id));
  if (eps.length) {
    const who = eps
      .map((e) => `name:"${deps.containers.get(e.container)?.record.name ?? ''}" id:"${e.container.slice(0, 12)}"`)
      .join(', ');
    throw conflict(`error while removing network: network ${n.name} has active endpoints (${who})`);
  }
  if (users.some((c) => c.runtime.state.Status === 'running'))
    throw conflict(`error while removing network: network ${n.name} has active endpoints`);
  deps.dns.close(n.id);
  if (n.bridge) await deleteBridge(n.bridge);
  // A dummy or VLAN parent made for a macvlan/ipvlan network goes with it; a given one stays.
  if (n.parent && n.parentMade) await deleteLink(n.parent);
  await deps.store.deleteNetwork(n.id);
  await deps.syncFirewall();
  deps.events.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
}

export async function removeNetwork(deps: NetworkDeps, idOrName: string): Promise<void> {
  const n = deps.store.resolve(idOrName);
  await deps.locks.run(`network:${n.id}`, () => removeOne(deps, n));
}

/** POST /networks/prune: unused user networks (filters until, label, label!, as Docker). */
export async function pruneNetworks(
  deps: NetworkDeps,
  ctx: OpContext,
  filters: Map<string, string[]>,
): Promise<NetworkPruneResponse> {
  const until = pruneUntil(filters, ['until', 'label', 'label!']);
  const deleted: string[] = [];
  for (const n of deps.store.networks()) {
    if (ctx.signal.aborted) break; // the client left: stop between networks, report what went
    if (n.builtin || deps.store.endpointsOn(n.id).length) continue;
    if (until !== undefined && Date.parse(n.created) >= until) continue;
    if (!matchLabels(n.labels, filters.get('label')) || !matchNotLabels(n.labels, filters.get('label!'))) continue;
    try {
      await removeNetwork(deps, n.id);
      deleted.push(n.name);
    } catch {
      /* in use meanwhile */
    }
  }
  deps.events.publish('network', 'prune', '', { reclaimed: '0' });
  return { NetworksDeleted: deleted.length ? deleted : null };
}
