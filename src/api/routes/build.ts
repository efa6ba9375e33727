// POST /build as the docker CLI's legacy builder (DOCKER_BUILDKIT=0) uses it. 200 is sent
// with the first message, so a bad Dockerfile or context is a real HTTP error; later
// errors go in-band as errorDetail (with the RUN's exit code, which the CLI exits with).
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import type { Router } from '../router.ts';
import { decodeRegistryConfig } from './registry-config.ts';
import { readBody, sendJson, streamProgress } from '../http.ts';
import { compareVersions } from '../../common/api-version.ts';
import { buildSecrets } from './build-secrets.ts';
import type { Ulimit } from '../types/containers.ts';
import type { BuildContextManifest, BuildContextOffer, BuildOutput, BuildPruneResponse } from '../types/build.ts';
import type { ProgressMessage } from '../types/progress.ts';
import type { AuthConfig } from '../types/registry.ts';
import {
  buildArgs,
  buildContextManifest,
  buildLabels,
  buildOutputs,
  buildUlimits,
  cacheFrom,
} from '../decode/build.ts';
import { decodeJson, type GoType } from '../decode/go-json.ts';

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
  ulimits?: Required<Ulimit>[];
  /** X-Registry-Config: credentials by registry, for FROM pulls. */
  registryAuth?: Record<string, AuthConfig>;
  /** berth build's incremental transfer (POST /build/context), not a Docker parameter. */
  contextSession?: string;
  /** berth build --secret (X-Berth-Build-Secrets), not a Docker parameter. */
  secrets?: Map<string, Buffer>;
  /** outputs (API 1.40+): where the result goes. */
  outputs?: BuildOutput[];
}

export interface BuildBackend {
  build(q: BuildQuery, body: Readable, signal: AbortSignal, emit: (m: ProgressMessage) => void): Promise<string>;
  prune(opts: { all: boolean; keepStorage: number; filters: Map<string, string[]> }): Promise<BuildPruneResponse>;
  /** Takes a context manifest; answers which files' bytes the build request must carry. */
  offerContext(key: string, manifest: BuildContextManifest): BuildContextOffer;
}

/** A JSON query parameter decoded as dockerd does, its errors after dockerd's words for it. */
function jsonParam<T>(v: string | undefined, type: GoType<T>, what: string): T {
  return decodeJson(type, v ?? '', `error reading ${what}`);
}

function checkUlimits(list: Ulimit[]): Required<Ulimit>[] {
  return list.map((u) => {
    if (!u.Name || u.Soft === undefined || u.Hard === undefined)
      throw invalidArgument(`invalid ulimits specified: ${JSON.stringify(u)}`);
    return { Name: u.Name, Soft: u.Soft, Hard: u.Hard };
  });
}

/** outputs: a JSON list of {Type, Attrs}, read from API 1.40 on as dockerd does. */
function outputsOf(v: string | undefined, version: string): BuildOutput[] | undefined {
  if (!v || compareVersions(version, '1.40') < 0) return undefined;
  return decodeJson(buildOutputs, v, 'invalid outputs specified');
}

export function buildRoutes(r: Router, b: BuildBackend): void {
  r.add('POST', '/build', async (ctx) => {
    const q = ctx.query;
    const query: BuildQuery = {
      tags: q.all('t'),
      dockerfile: q.str('dockerfile') || 'Dockerfile',
      buildArgs: jsonParam(q.str('buildargs'), buildArgs, 'build args'),
      labels: jsonParam(q.str('labels'), buildLabels, 'labels'),
      target: q.str('target') || undefined,
      noCache: q.bool('nocache'),
      pull: q.bool('pull'),
      rm: q.bool('rm', true),
      forceRm: q.bool('forcerm'),
      quiet: q.bool('q'),
      network: q.str('networkmode') || undefined,
      // One host:ip per extrahosts parameter (the docker CLI, SDKs); commas also split.
      extraHosts: q
        .all('extrahosts')
        .flatMap((v) => v.split(','))
        .filter(Boolean),
      shmSize: q.int('shmsize') || undefined,
      platform: q.str('platform') || undefined,
      cacheFrom: jsonParam(q.str('cachefrom'), cacheFrom, 'cache-from'),
      ulimits: checkUlimits(jsonParam(q.str('ulimits'), buildUlimits, 'ulimit settings')),
      registryAuth: decodeRegistryConfig(ctx.req.headers['x-registry-config']),
      contextSession: q.str('berthcontext') || undefined,
      secrets: buildSecrets(ctx.req.headers),
      outputs: outputsOf(q.str('outputs'), ctx.version),
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
      b.offerContext(ctx.query.str('key') ?? '', decodeJson(buildContextManifest, body.toString('utf8'))),
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
