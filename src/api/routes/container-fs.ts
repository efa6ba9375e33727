// A container's filesystem: changes (diff), export, archive (cp) and POST /commit.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readBody, sendJson } from '../http.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { Router, RequestContext } from '../router.ts';
import { versionAtLeast } from '../../common/api-version.ts';
import type { IdResponse } from '../types/common.ts';
import type { ContainerConfig, ContainerPathStat, FilesystemChange } from '../types/containers.ts';
import { containerCreateBody } from '../decode/containers.ts';
import { decodeJson } from '../decode/go-json.ts';

export interface CommitParams {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
  /** The body's Config overrides (undefined when it sent none). */
  config?: ContainerConfig;
}

/** `signal` aborts when the client goes away. */
export interface ContainerFsBackend {
  changes(id: string, signal: AbortSignal): Promise<FilesystemChange[]>;
  /** The tar stream; everything it holds is released when it ends or `signal` aborts. */
  export(id: string, signal: AbortSignal): Readable;
  commit(p: CommitParams, signal: AbortSignal): Promise<IdResponse>;
  archiveStat(id: string, path: string, signal: AbortSignal): Promise<ContainerPathStat>;
  archiveGet(id: string, path: string, signal: AbortSignal): Promise<{ stat: ContainerPathStat; stream: Readable }>;
  archivePut(
    id: string,
    path: string,
    body: Readable,
    opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
    signal: AbortSignal,
  ): Promise<void>;
}

const statHeader = (s: ContainerPathStat) => Buffer.from(JSON.stringify(s)).toString('base64');

function pathParam(ctx: RequestContext): string {
  const p = ctx.query.str('path');
  if (!p) throw invalidArgument('Path cannot be empty');
  return p;
}

/** Streams a tar body; a client that hangs up destroys the source (which releases its resources). */
async function sendTar(ctx: RequestContext, stream: Readable, headers: Record<string, string> = {}): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
  try {
    await pipeline(stream, ctx.res);
  } catch {
    ctx.res.destroy();
  }
}

export function containerFsRoutes(r: Router, b: ContainerFsBackend): void {
  r.add('GET', '/containers/{id}/changes', async (ctx) =>
    sendJson(ctx.res, 200, await b.changes(ctx.params.id, ctx.signal)),
  );
  r.add('GET', '/containers/{id}/export', async (ctx) => sendTar(ctx, b.export(ctx.params.id, ctx.signal)));
  r.add('GET', '/containers/{id}/archive', async (ctx) => {
    const path = pathParam(ctx);
    if (ctx.req.method === 'HEAD') {
      const stat = await b.archiveStat(ctx.params.id, path, ctx.signal);
      ctx.res
        .writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/json' })
        .end();
      return;
    }
    const { stat, stream } = await b.archiveGet(ctx.params.id, path, ctx.signal);
    await sendTar(ctx, stream, { 'X-Docker-Container-Path-Stat': statHeader(stat) });
  });
  r.add('PUT', '/containers/{id}/archive', async (ctx) => {
    const q = ctx.query;
    await b.archivePut(
      ctx.params.id,
      pathParam(ctx),
      ctx.req,
      { noOverwriteDirNonDir: q.bool('noOverwriteDirNonDir'), copyUIDGID: q.bool('copyUIDGID') },
      ctx.signal,
    );
    ctx.res.writeHead(200).end();
  });
  r.add('POST', '/commit', async (ctx) => {
    const q = ctx.query;
    const container = q.str('container');
    if (!container) throw invalidArgument('container is required');
    // Clients send the Config overrides, `{}` or `null`. dockerd reads the body as a create
    // request and keeps only its Config: HostConfig and NetworkingConfig mean nothing here.
    const {
      HostConfig: _h,
      NetworkingConfig: _n,
      ...body
    } = decodeJson(containerCreateBody, (await readBody(ctx.req)).toString('utf8'));
    // API ≥ 1.13 pauses by default; an explicit pause=0 turns it off.
    const pause =
      q.str('pause') === undefined || q.str('pause') === '' ? versionAtLeast(ctx.version, '1.13') : q.bool('pause');
    sendJson(
      ctx.res,
      201,
      await b.commit(
        {
          container,
          repo: q.str('repo'),
          tag: q.str('tag'),
          comment: q.str('comment'),
          author: q.str('author'),
          pause,
          changes: q.all('changes'),
          config: Object.keys(body).length ? body : undefined,
        },
        ctx.signal,
      ),
    );
  });
}
