// Registry and archive routes: pull (through /images/create), push, /auth, save/load,
// search. Progress streams send 200 only with their first message (style habit 3): an
// error before that is a proper HTTP error, after it an in-band errorDetail.
import type { Readable } from 'node:stream';
import { decodeBase64Json, readJson, sendJson, streamProgress } from '../http.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { RequestContext, Router } from '../router.ts';
import type { ProgressMessage } from '../types/progress.ts';
import type { AuthConfig, AuthResponse, DistributionInspect, ImageSearchResult } from '../types/registry.ts';
import { authConfig } from '../decode/registry.ts';
import { decodeValue } from '../decode/go-json.ts';

export type Emit = (msg: ProgressMessage) => void;

export interface DistributionBackend {
  pull(
    req: { fromImage: string; tag?: string; platform?: string; auth?: AuthConfig },
    signal: AbortSignal,
    emit: Emit,
  ): Promise<void>;
  importUrl(
    req: { url: string; repo?: string; tag?: string; changes: string[]; message?: string; platform?: string },
    signal: AbortSignal,
    emit: Emit,
  ): Promise<void>;
  push(req: { name: string; tag?: string; auth?: AuthConfig }, signal: AbortSignal, emit: Emit): Promise<void>;
  login(auth: AuthConfig, signal: AbortSignal): Promise<AuthResponse>;
  save(names: string[], signal: AbortSignal): Promise<Readable>;
  load(src: Readable, quiet: boolean, signal: AbortSignal, emit: Emit): Promise<void>;
  /** GET /distribution/{name}/json: the registry's descriptor and platforms for a reference. */
  inspectDistribution(name: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<DistributionInspect>;
  search(
    term: string,
    limit: number,
    filters: Map<string, string[]>,
    auth: AuthConfig | undefined,
    signal: AbortSignal,
  ): Promise<ImageSearchResult[]>;
}

/**
 * An auth config from a header's JSON; one that does not decode is empty (dockerd goes on
 * with an empty AuthConfig too).
 */
export function headerAuth(v: unknown): AuthConfig {
  try {
    return decodeValue(authConfig, { value: v, literals: new WeakMap() });
  } catch {
    return {};
  }
}

export const hasCredentials = (a: AuthConfig) => Boolean(a.username || a.identitytoken || a.registrytoken);

/** X-Registry-Auth: base64url JSON (Docker also accepts standard base64); undefined without credentials. */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig | undefined {
  const a = headerAuth(decodeBase64Json(header, 'X-Registry-Auth'));
  return hasCredentials(a) ? a : undefined;
}

export function distributionRoutes(r: Router, b: DistributionBackend): void {
  r.add('POST', '/images/{name*}/push', async (ctx) => {
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    await streamProgress(ctx.res, (emit) =>
      b.push({ name: ctx.params.name, tag: ctx.query.str('tag') || undefined, auth }, ctx.signal, emit),
    );
  });
  r.add('POST', '/auth', async (ctx) => {
    sendJson(ctx.res, 200, await b.login(await readJson(ctx.req, authConfig), ctx.signal));
  });
  r.add('GET', '/images/get', async (ctx) =>
    sendArchive(
      ctx,
      await b.save(
        ctx.query
          .all('names')
          .flatMap((n) => n.split(','))
          .filter(Boolean),
        ctx.signal,
      ),
    ),
  );
  r.add('GET', '/images/search', async (ctx) => {
    const term = ctx.query.str('term');
    if (!term) throw invalidArgument('term is required');
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    sendJson(ctx.res, 200, await b.search(term, ctx.query.int('limit', 25)!, ctx.query.filters(), auth, ctx.signal));
  });
  r.add('GET', '/distribution/{name*}/json', async (ctx) => {
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    sendJson(ctx.res, 200, await b.inspectDistribution(ctx.params.name, auth, ctx.signal));
  });
  r.add('GET', '/images/{name*}/get', async (ctx) => sendArchive(ctx, await b.save([ctx.params.name], ctx.signal)));
  r.add('POST', '/images/load', async (ctx) => {
    await streamProgress(ctx.res, (emit) => b.load(ctx.req, ctx.query.bool('quiet'), ctx.signal, emit), {
      alwaysInBand: true,
    });
  });
}

async function sendArchive(ctx: RequestContext, tar: Readable): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  ctx.signal.addEventListener('abort', () => tar.destroy(), { once: true });
  try {
    for await (const c of tar as AsyncIterable<Buffer>) {
      if (!ctx.res.write(c)) await new Promise((r) => ctx.res.once('drain', r));
    }
    ctx.res.end();
  } catch {
    ctx.res.destroy();
  }
}

/** /images/create?fromImage=… and fromSrc=<url>: delegated here from the images router. */
export async function createFromRegistry(ctx: RequestContext, b: DistributionBackend): Promise<void> {
  const q = ctx.query;
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  const fromImage = q.str('fromImage');
  if (fromImage) {
    await streamProgress(ctx.res, (emit) =>
      b.pull(
        { fromImage, tag: q.str('tag') || undefined, platform: q.str('platform') || undefined, auth },
        ctx.signal,
        emit,
      ),
    );
    return;
  }
  await streamProgress(ctx.res, (emit) =>
    b.importUrl(
      {
        url: q.str('fromSrc')!,
        repo: q.str('repo'),
        tag: q.str('tag'),
        changes: q.all('changes'),
        message: q.str('message'),
        platform: q.str('platform'),
      },
      ctx.signal,
      emit,
    ),
  );
}
