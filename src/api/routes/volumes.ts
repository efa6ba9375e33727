// /volumes/* routes.
import { unavailable } from '../../common/errors.ts';
import { volumeCreateBody } from '../decode/volumes.ts';
import { readJson, sendJson, sendNoContent } from '../http.ts';
import type { Router } from '../router.ts';
import type { Volume, VolumeCreateBody, VolumeListResponse, VolumePruneResponse } from '../types/volumes.ts';

export interface VolumesBackend {
  create(body: VolumeCreateBody, signal: AbortSignal): Promise<Volume>;
  list(filters: Map<string, string[]>): Promise<VolumeListResponse>;
  inspect(name: string): Promise<Volume>;
  remove(name: string, opts: { force: boolean }, signal: AbortSignal): Promise<void>;
  prune(filters: Map<string, string[]>, apiVersion: string, signal: AbortSignal): Promise<VolumePruneResponse>;
}

export function volumeRoutes(r: Router, b: VolumesBackend): void {
  r.add('GET', '/volumes', async (ctx) => sendJson(ctx.res, 200, await b.list(ctx.query.filters())));
  r.add('POST', '/volumes/create', async (ctx) =>
    sendJson(ctx.res, 201, await b.create(await readJson(ctx.req, volumeCreateBody), ctx.signal)),
  );
  r.add('POST', '/volumes/prune', async (ctx) =>
    sendJson(ctx.res, 200, await b.prune(ctx.query.filters(), ctx.version, ctx.signal)),
  );
  r.add('GET', '/volumes/{name}', async (ctx) => sendJson(ctx.res, 200, await b.inspect(ctx.params.name)));
  r.add('PUT', '/volumes/{name}', async () => {
    throw unavailable('volume update only valid for cluster volumes, but swarm is unavailable');
  });
  r.add('DELETE', '/volumes/{name}', async (ctx) => {
    await b.remove(ctx.params.name, { force: ctx.query.bool('force') }, ctx.signal);
    sendNoContent(ctx.res);
  });
}
