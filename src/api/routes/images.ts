// /images/* routes.
import type { Readable } from 'node:stream';
import { sendJson } from '../http.ts';
import { invalidArgument, notImplemented } from '../../common/errors.ts';
import type { RequestContext, Router } from '../router.ts';
import type {
  ImageDeleteResponseItem,
  ImageHistoryResponseItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
} from '../types/images.ts';

export interface ImagesBackend {
  import(
    req: {
      src: Readable;
      repo?: string;
      tag?: string;
      changes: string[];
      message?: string;
      platform?: string;
    },
    signal: AbortSignal,
  ): Promise<{ id: string }>;
  list(opts: { all: boolean; filters: Map<string, string[]>; digests: boolean }): ImageSummary[];
  inspect(name: string): ImageInspect;
  history(name: string): ImageHistoryResponseItem[];
  tag(name: string, repo: string | undefined, tag: string | undefined): Promise<void>;
  remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<ImageDeleteResponseItem[]>;
  prune(filters: Map<string, string[]>, signal: AbortSignal): Promise<ImagePruneResponse>;
  /** fromImage (pull) and fromSrc=<URL>: served by the distribution routes. */
  fromRegistry?: (ctx: RequestContext) => Promise<void>;
}

export function imageRoutes(r: Router, b: ImagesBackend): void {
  r.add('POST', '/images/create', async (ctx) => {
    const q = ctx.query;
    const fromSrc = q.str('fromSrc');
    if ((fromSrc === undefined && q.str('fromImage')) || (fromSrc !== undefined && fromSrc !== '-')) {
      if (b.fromRegistry) return b.fromRegistry(ctx);
    }
    if (fromSrc === undefined) {
      if (q.str('fromImage')) throw notImplemented('pulling images from a registry is not supported yet');
      throw invalidArgument('fromSrc or fromImage is required');
    }
    if (fromSrc !== '-') throw notImplemented('importing from a URL is not supported yet');
    const { id } = await b.import(
      {
        src: ctx.req,
        repo: q.str('repo'),
        tag: q.str('tag'),
        changes: q.all('changes'),
        message: q.str('message'),
        platform: q.str('platform'),
      },
      ctx.signal,
    );
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.end(JSON.stringify({ status: id }) + '\r\n');
  });
  r.add('GET', '/images/json', async (ctx) => {
    sendJson(
      ctx.res,
      200,
      b.list({ all: ctx.query.bool('all'), filters: ctx.query.filters(), digests: ctx.query.bool('digests') }),
    );
  });
  r.add('POST', '/images/prune', async (ctx) => sendJson(ctx.res, 200, await b.prune(ctx.query.filters(), ctx.signal)));
  r.add('GET', '/images/{name*}/json', async (ctx) => sendJson(ctx.res, 200, b.inspect(ctx.params.name)));
  r.add('GET', '/images/{name*}/history', async (ctx) => sendJson(ctx.res, 200, b.history(ctx.params.name)));
  r.add('POST', '/images/{name*}/tag', async (ctx) => {
    await b.tag(ctx.params.name, ctx.query.str('repo'), ctx.query.str('tag'));
    ctx.res.writeHead(201).end();
  });
  r.add('DELETE', '/images/{name*}', async (ctx) => {
    sendJson(
      ctx.res,
      200,
      await b.remove(ctx.params.name, { force: ctx.query.bool('force'), noprune: ctx.query.bool('noprune') }),
    );
  });
}
