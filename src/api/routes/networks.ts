// /networks/* routes.
import { readJson, sendJson, sendNoContent } from '../http.ts';
import type { Router } from '../router.ts';
import type {
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
} from '../types/networks.ts';
import { networkConnectRequest, networkCreateRequest, networkDisconnectRequest } from '../decode/networks.ts';

export interface NetworksBackend {
  create(body: NetworkCreateRequest, signal: AbortSignal): Promise<NetworkCreateResponse>;
  list(filters: Map<string, string[]>): Promise<NetworkSummary[]>;
  inspect(id: string, scope?: string): Promise<NetworkInspect>;
  remove(id: string, signal: AbortSignal): Promise<void>;
  prune(filters: Map<string, string[]>, signal: AbortSignal): Promise<NetworkPruneResponse>;
  connect(id: string, body: NetworkConnectRequest, signal: AbortSignal): Promise<void>;
  disconnect(id: string, body: NetworkDisconnectRequest, signal: AbortSignal): Promise<void>;
}

export function networkRoutes(r: Router, b: NetworksBackend): void {
  r.add('GET', '/networks', async (ctx) => sendJson(ctx.res, 200, await b.list(ctx.query.filters())));
  r.add('POST', '/networks/create', async (ctx) =>
    sendJson(ctx.res, 201, await b.create(await readJson(ctx.req, networkCreateRequest), ctx.signal)),
  );
  r.add('POST', '/networks/prune', async (ctx) =>
    sendJson(ctx.res, 200, await b.prune(ctx.query.filters(), ctx.signal)),
  );
  r.add('GET', '/networks/{id}', async (ctx) =>
    sendJson(ctx.res, 200, await b.inspect(ctx.params.id, ctx.query.str('scope') || undefined)),
  );
  r.add('DELETE', '/networks/{id}', async (ctx) => {
    await b.remove(ctx.params.id, ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/networks/{id}/connect', async (ctx) => {
    await b.connect(ctx.params.id, await readJson(ctx.req, networkConnectRequest), ctx.signal);
    sendJson(ctx.res, 200, null);
  });
  r.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    await b.disconnect(ctx.params.id, await readJson(ctx.req, networkDisconnectRequest), ctx.signal);
    sendJson(ctx.res, 200, null);
  });
}
