// /networks/* routes.
import { readJsonObject, sendJson, sendNoContent } from '../http.ts';
import type { Router } from '../router.ts';

export interface NetworksBackend {
  create(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }>;
  list(filters: Map<string, string[]>): Promise<unknown[]>;
  inspect(id: string): Promise<unknown>;
  remove(id: string): Promise<void>;
  prune(filters: Map<string, string[]>): Promise<unknown>;
  connect(id: string, body: Record<string, unknown>): Promise<void>;
  disconnect(id: string, body: Record<string, unknown>): Promise<void>;
}

export function networkRoutes(r: Router, b: NetworksBackend): void {
  r.add('GET', '/networks', async (ctx) => sendJson(ctx.res, 200, await b.list(ctx.query.filters())));
  r.add('POST', '/networks/create', async (ctx) =>
    sendJson(ctx.res, 201, await b.create(await readJsonObject(ctx.req))),
  );
  r.add('POST', '/networks/prune', async (ctx) => sendJson(ctx.res, 200, await b.prune(ctx.query.filters())));
  r.add('GET', '/networks/{id}', async (ctx) => sendJson(ctx.res, 200, await b.inspect(ctx.params.id)));
  r.add('DELETE', '/networks/{id}', async (ctx) => {
    await b.remove(ctx.params.id);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/networks/{id}/connect', async (ctx) => {
    await b.connect(ctx.params.id, await readJsonObject(ctx.req));
    sendJson(ctx.res, 200, null);
  });
  r.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    await b.disconnect(ctx.params.id, await readJsonObject(ctx.req));
    sendJson(ctx.res, 200, null);
  });
}
