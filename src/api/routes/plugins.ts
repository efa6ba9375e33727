// Managed plugins (`docker plugin …`): Berth has none and cannot install any. Listing
// answers an empty list as a dockerd with no plugins does; a named plugin is not found;
// installing or creating one is refused with a clear error.
import { invalidArgument, notFound, notImplemented } from '../../common/errors.ts';
import { sendJson } from '../http.ts';
import type { Handler, Router } from '../router.ts';

const FILTERS = new Set(['enabled', 'capability']);

const missing: Handler = async (ctx) => {
  throw notFound(`plugin "${ctx.params.name}" not found`);
};

export function pluginRoutes(r: Router): void {
  r.add('GET', '/plugins', async (ctx) => {
    for (const [k, vs] of ctx.query.filters()) {
      if (!FILTERS.has(k)) throw invalidArgument(`Invalid filter '${k}'`);
      for (const v of vs)
        if (k === 'enabled' && v !== 'true' && v !== 'false') throw invalidArgument(`Invalid filter 'enabled=${v}'`);
    }
    sendJson(ctx.res, 200, []);
  });
  for (const verb of ['pull', 'create'])
    r.add('POST', `/plugins/${verb}`, async () => {
      throw notImplemented(`plugins are not supported by Berth (plugin ${verb === 'pull' ? 'install' : verb})`);
    });
  r.add('GET', '/plugins/privileges', async () => {
    throw notImplemented('plugins are not supported by Berth (plugin install)');
  });
  r.add('GET', '/plugins/{name*}/json', missing);
  r.add('DELETE', '/plugins/{name*}', missing);
  for (const verb of ['enable', 'disable', 'push', 'set', 'upgrade'])
    r.add('POST', `/plugins/{name*}/${verb}`, missing);
}
