// The swarm-mode endpoints of a node that is in no swarm. dockerd (not in a swarm) answers
// them with 503 and these words, which SDKs and compose rely on to tell "no swarm" from
// "wrong daemon" (a 404). Berth has no swarm mode: creating or joining one is refused.
import { notImplemented, unavailable, invalidArgument } from '../../common/errors.ts';
import type { Handler, Router } from '../router.ts';

export const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
export const NOT_IN_SWARM = 'This node is not part of a swarm';

const noManager: Handler = async () => {
  throw unavailable(NOT_A_MANAGER);
};

/** Service and task logs check their streams first, as dockerd does. */
const noManagerLogs: Handler = async (ctx) => {
  if (!ctx.query.bool('stdout') && !ctx.query.bool('stderr'))
    throw invalidArgument('Bad parameters: you must choose at least one stream');
  throw unavailable(NOT_A_MANAGER);
};

export function swarmRoutes(r: Router): void {
  r.add('GET', '/swarm', noManager);
  for (const verb of ['init', 'join'])
    r.add('POST', `/swarm/${verb}`, async () => {
      throw notImplemented(`swarm mode is not supported by Berth (swarm ${verb})`);
    });
  r.add('POST', '/swarm/leave', async () => {
    throw unavailable(NOT_IN_SWARM);
  });
  r.add('POST', '/swarm/update', noManager);
  r.add('GET', '/swarm/unlockkey', noManager);
  r.add('POST', '/swarm/unlock', noManager);

  r.add('GET', '/nodes', noManager);
  r.add('GET', '/nodes/{id}', noManager);
  r.add('DELETE', '/nodes/{id}', noManager);
  r.add('POST', '/nodes/{id}/update', noManager);

  r.add('GET', '/services', noManager);
  r.add('POST', '/services/create', noManager);
  r.add('GET', '/services/{id}', noManager);
  r.add('DELETE', '/services/{id}', noManager);
  r.add('POST', '/services/{id}/update', noManager);
  r.add('GET', '/services/{id}/logs', noManagerLogs);

  r.add('GET', '/tasks', noManager);
  r.add('GET', '/tasks/{id}', noManager);
  r.add('GET', '/tasks/{id}/logs', noManagerLogs);

  for (const kind of ['secrets', 'configs']) {
    r.add('GET', `/${kind}`, noManager);
    r.add('POST', `/${kind}/create`, noManager);
    r.add('GET', `/${kind}/{id}`, noManager);
    r.add('DELETE', `/${kind}/{id}`, noManager);
    r.add('POST', `/${kind}/{id}/update`, noManager);
  }
}
