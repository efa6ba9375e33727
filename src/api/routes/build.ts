// POST /build as the docker CLI's legacy builder (DOCKER_BUILDKIT=0) uses it. 200 is sent
// with the first message, so a bad Dockerfile or context is a real HTTP error; later
// errors go in-band as errorDetail (with the RUN's exit code, which the CLI exits with).
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import type { Router } from '../router.ts';
import type { RegistryAuth } from './distribution.ts';
import { decodeRegistryConfig } from './registry-config.ts';
import { readBody, sendJson, streamProgress } from '../http.ts';
import { parseJsonSafe } from '../../common/json.ts';
import { buildSecrets } from './build-secrets.ts';

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
  /** --ulimit for RUN containers. */
  ulimits?: { Name: string; Soft: number; Hard: number }[];
  /** X-Registry-Config: credentials by registry, for FROM pulls. */
  registryAuth?: Record<string, RegistryAuth>;
  /** berth build's incremental transfer (POST /build/context), not a Docker parameter. */
  contextSession?: string;
  /** berth build --secret (X-Berth-Build-Secrets), not a Docker parameter. */
  secrets?: Map<string, Buffer>;
}

export interface BuildBackend {
  build(
    q: BuildQuery,
    body: Readable,
    signal: AbortSignal,
    emit: (m: Record<string, unknown>) => void,
  ): Promise<unknown>;
  prune(opts: {
    all: boolean;
    keepStorage: number;
    filters: Map<string, string[]>;
  }): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
  /** Takes a context manifest; answers which files' bytes the build request must carry. */
  offerContext(key: string, manifest: unknown): { session: string; need: string[] };
}

function jsonParam<T>(v: string | undefined, what: string, dflt: T): T {
  if (!v) return dflt;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw invalidArgument(`invalid ${what} specified: ${v}`);
  }
}

function checkUlimits(v: unknown): { Name: string; Soft: number; Hard: number }[] {
  if (!Array.isArray(v)) throw invalidArgument('invalid ulimits specified: expected a JSON array');
  for (const u of v) {
    if (
      !u ||
      typeof u !== 'object' ||
      typeof u.Name !== 'string' ||
      !Number.isInteger(u.Soft) ||
      !Number.isInteger(u.Hard)
    ) {
      throw invalidArgument(`invalid ulimits specified: ${JSON.stringify(u)}`);
    }
  }
  return v;
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
      ulimits: checkUlimits(jsonParam(q.str('ulimits'), 'ulimits', [])),
      registryAuth: decodeRegistryConfig(ctx.req.headers['x-registry-config']),
      contextSession: q.str('berthcontext') || undefined,
      secrets: buildSecrets(ctx.req.headers),
    };
    await streamProgress(ctx.res, (emit) => b.build(query, ctx.req, ctx.signal, emit));
  });
  // Berth's own: `berth build` sends the context's manifest first, then only what changed.
  r.add('POST', '/build/context', async (ctx) => {
    // A manifest is ~150 bytes a file: allow large contexts, still bounded.
    const body = await readBody(ctx.req, 256 << 20);
    sendJson(
      ctx.res,
      200,
      b.offerContext(ctx.query.str('key') ?? '', parseJsonSafe(body.toString('utf8'), 'context manifest')),
    );
  });
  r.add('POST', '/build/prune', async (ctx) => {
    const q = ctx.query;
    sendJson(
      ctx.res,
      200,
      await b.prune({ all: q.bool('all'), keepStorage: q.int('keep-storage') ?? 0, filters: q.filters() }),
    );
  });
}
