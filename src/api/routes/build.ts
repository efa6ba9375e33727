// POST /build as the docker CLI's legacy builder (DOCKER_BUILDKIT=0) uses it. 200 is sent
// with the first message, so a bad Dockerfile or context is a real HTTP error; later
// errors go in-band as errorDetail (with the RUN's exit code, which the CLI exits with).
import type { Readable } from 'node:stream';
import { invalidArgument, messageOf } from '../../common/errors.ts';
import type { Router } from '../router.ts';

export interface BuildQuery {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  quiet: boolean;
  network?: string;
  extraHosts: string[];
  shmSize?: number;
  platform?: string;
  cacheFrom: string[];
}

export interface BuildBackend {
  build(q: BuildQuery, body: Readable, signal: AbortSignal, emit: (m: Record<string, unknown>) => void): Promise<unknown>;
  prune(all: boolean): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
}

function jsonParam<T>(v: string | undefined, what: string, dflt: T): T {
  if (!v) return dflt;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw invalidArgument(`invalid ${what} specified: ${v}`);
  }
}

export function buildRoutes(r: Router, b: BuildBackend): void {
  r.add('POST', '/build', async (ctx) => {
    const q = ctx.query;
    const query: BuildQuery = {
      tags: q.all('t'),
      dockerfile: q.str('dockerfile') || 'Dockerfile',
      buildArgs: jsonParam(q.str('buildargs'), 'buildargs', {}),
      labels: jsonParam(q.str('labels'), 'labels', {}),
      target: q.str('target') || undefined,
      noCache: q.bool('nocache'),
      pull: q.bool('pull'),
      rm: q.bool('rm', true),
      forceRm: q.bool('forcerm'),
      quiet: q.bool('q'),
      network: q.str('networkmode') || undefined,
      extraHosts: (q.str('extrahosts') ?? '').split(',').filter(Boolean),
      shmSize: q.int('shmsize') || undefined,
      platform: q.str('platform') || undefined,
      cacheFrom: jsonParam(q.str('cachefrom'), 'cachefrom', []),
    };
    const res = ctx.res;
    let started = false;
    const emit = (msg: Record<string, unknown>) => {
      if (!started) {
        started = true;
        res.writeHead(200, { 'Content-Type': 'application/json' });
      }
      if (!res.destroyed) res.write(JSON.stringify(msg) + '\r\n');
    };
    try {
      await b.build(query, ctx.req, ctx.signal, emit);
    } catch (err) {
      if (!started) throw err;
      const message = messageOf(err);
      const code = (err as { code?: unknown }).code;
      const detail = typeof code === 'number' ? { code, message } : { message };
      if (!res.destroyed) res.write(JSON.stringify({ errorDetail: detail, error: message }) + '\r\n');
    }
    if (!started) res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end();
  });
  r.add('POST', '/build/prune', async (ctx) => {
    const out = await b.prune(ctx.query.bool('all'));
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.end(JSON.stringify(out));
  });
}
