// POST /networks/{id}/connect and /disconnect: recorded in the container's endpoints
// config; on a running container the interface is added or removed live (and DNS, which
// reads the endpoint records, follows at once).
import { forbidden, invalidArgument, notFound } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type { NetworkConnectRequest, NetworkDisconnectRequest } from '../../api/types/networks.ts';
import { detach, setup } from '../../network/links.ts';
import {
  attachmentOf,
  connectedNetworks,
  ifnameFor,
  isUserDefined,
  newEndpoint,
  refreshDefaultRoutes,
  releaseContainer,
} from './attach.ts';
import { checkEndpointConfig, checkEndpointShape } from './endpoint-config.ts';
import { updateHosts, useOurDns } from './etc-files.ts';
import type { NetworkDeps } from './deps.ts';
import type { NetworkRecord } from '../../network/store.ts';

// Connect and disconnect run to completion once begun (a kernel change half made is worse
// than a late answer): their context gives them the request's logger, not a cancellation.
export async function connectNetwork(
  deps: NetworkDeps,
  ctx: OpContext,
  idOrName: string,
  body: NetworkConnectRequest,
): Promise<void> {
  const n = deps.store.resolve(idOrName);
  if (!body.Container) throw invalidArgument('container is required');
  const c = deps.containers.tryResolve(body.Container);
  if (!c) throw notFound(`No such container: ${body.Container}`);
  const mode = c.record.hostConfig.NetworkMode || 'default';
  if (
    n.driver === 'host' ||
    n.driver === 'null' ||
    mode === 'host' ||
    mode === 'none' ||
    mode.startsWith('container:')
  ) {
    throw forbidden(`container cannot be disconnected from host network or connected to host network`);
  }
  if (c.record.config.NetworkDisabled)
    throw invalidArgument(`container ${c.record.name} has its networking disabled (NetworkDisabled)`);
  const ec = body.EndpointConfig ?? {};
  checkEndpointShape(n.name, ec);
  checkEndpointConfig(n, ec, isUserDefined(n));
  await deps.locks.run(c.record.id, async () => {
    const eps = deps.store.endpointsOf(c.record.id);
    const connected = connectedNetworks(c).some((x) => x === n.name || x === n.id);
    if (connected || eps.some((e) => e.network === n.id))
      throw forbidden(`endpoint with name ${c.record.name} already exists in network ${n.name}`);
    const primary = (mode === 'default' ? 'bridge' : mode) === n.name;
    const before = { ec: c.record.endpointsConfig, detached: c.record.primaryDetached };
    // Back on its NetworkMode network: that is its primary again, not an extra endpoint.
    if (primary) c.record.primaryDetached = undefined;
    // Its settings there (aliases…) are this request's, primary or not: docker-compose 1.29
    // disconnects every new container from its network and connects it again with them.
    c.record.endpointsConfig = { ...c.record.endpointsConfig, [n.name]: ec };
    if (c.runtime.state.Status === 'running') {
      const e = newEndpoint(deps, c, n, ifnameFor(n, ec, new Set(eps.map((x) => x.ifname))));
      try {
        await deps.store.putEndpoint(e);
        // It takes the default routes if it sorts first (GwPriority, not internal…).
        await setup(e.netns, [attachmentOf(n, e, {}, ec)], false);
        await refreshDefaultRoutes(deps, c);
        await updateHosts(deps.containers.dir(c.record.id), c, { add: [e.ip, ...(e.ip6 ? [e.ip6] : [])] }, ctx.log);
        if (isUserDefined(n) && n.driver === 'bridge')
          await useOurDns(deps, deps.containers.dir(c.record.id), c, n.ipam!.gateway);
      } catch (err) {
        await detach(e.netns, e.ifname).catch(() => {});
        await deps.store.deleteEndpoint(c.record.id, n.id);
        c.record.endpointsConfig = before.ec;
        c.record.primaryDetached = before.detached;
        throw err;
      }
    }
    await deps.containers.saveRecord(c);
  });
  deps.events.publish('network', 'connect', n.id, { container: c.record.id, name: n.name, type: n.driver });
}

export async function disconnectNetwork(
  deps: NetworkDeps,
  ctx: OpContext,
  idOrName: string,
  body: NetworkDisconnectRequest,
): Promise<void> {
  const n = deps.store.resolve(idOrName);
  if (!body.Container) throw invalidArgument('container is required');
  const c = deps.containers.tryResolve(body.Container);
  if (!c) {
    if (body.Force) return forceEndpointDelete(deps, n, body.Container);
    throw notFound(`No such container: ${body.Container}`);
  }
  await deps.locks.run(c.record.id, async () => {
    const mode = c.record.hostConfig.NetworkMode || 'default';
    const primary = mode === 'default' ? 'bridge' : mode;
    const inConfig = connectedNetworks(c).some((x) => x === n.name || x === n.id);
    const e = deps.store.endpoint(c.record.id, n.id);
    if (!inConfig && !e) throw forbidden(`container ${c.record.id} is not connected to network ${n.name}`);
    if (e) {
      await detach(e.netns, e.ifname);
      await deps.store.deleteEndpoint(c.record.id, n.id);
      // Its default routes went with its interface: the next endpoint in line takes them.
      await refreshDefaultRoutes(deps, c);
      await updateHosts(deps.containers.dir(c.record.id), c, { remove: [e.ip, ...(e.ip6 ? [e.ip6] : [])] }, ctx.log);
      if (e.ports.length) await deps.syncFirewall();
    }
    const rest = { ...c.record.endpointsConfig };
    delete rest[n.name];
    c.record.endpointsConfig = rest;
    // The primary network stays the NetworkMode (as in Docker) but is no longer joined.
    if (primary === n.name) c.record.primaryDetached = true;
    await deps.containers.saveRecord(c);
  });
  deps.events.publish('network', 'disconnect', n.id, { container: c.record.id, name: n.name, type: n.driver });
}

/**
 * `disconnect --force` naming a container that no longer exists: its endpoint left on the
 * network (by the container's name or ID) is released, as Docker deletes a stale endpoint.
 */
async function forceEndpointDelete(deps: NetworkDeps, n: NetworkRecord, name: string): Promise<void> {
  const stale = deps.store
    .endpointsOn(n.id)
    .filter((e) => !deps.containers.get(e.container) && (e.names[0] === name || e.container.startsWith(name)));
  if (!stale.length) throw notFound(`endpoint ${name} not found`);
  for (const id of new Set(stale.map((e) => e.container)))
    await deps.locks.run(`net:${id}`, () => releaseContainer(deps, id));
}
