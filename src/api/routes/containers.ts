// /containers/* routes. The backend is the narrow set of use cases this router needs.
import type { Duplex } from 'node:stream';
import { checkForJson, readJson, sendJson, sendNoContent } from '../http.ts';
import { hijack, streamContentType } from '../hijack.ts';
import { frame, STDERR, STDOUT } from '../../common/stdcopy.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { Router, RequestContext } from '../router.ts';
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerUpdateBody,
  ContainerUpdateResponse,
  ContainerWaitResponse,
} from '../types/containers.ts';
import { containerCreateBody, containerUpdateBody } from '../decode/containers.ts';

export interface AttachParams {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

/** `signal` (a trailing parameter) aborts when the client goes away. */
export interface ContainersBackend {
  create(name: string | undefined, body: ContainerCreateBody, signal: AbortSignal): Promise<ContainerCreateResponse>;
  list(opts: {
    all: boolean;
    limit?: number;
    size: boolean;
    filters: Map<string, string[]>;
  }): Promise<ContainerSummary[]>;
  inspect(id: string, size: boolean): Promise<ContainerInspect>;
  start(id: string, signal: AbortSignal): Promise<void>;
  stop(id: string, opts: { timeout?: number; signal?: string }, signal: AbortSignal): Promise<void>;
  restart(id: string, opts: { timeout?: number; signal?: string }, signal: AbortSignal): Promise<void>;
  kill(id: string, sig: string | undefined, signal: AbortSignal): Promise<void>;
  /** Throws (404/400) synchronously-ish before the 200 goes out; resolves at the condition. */
  wait(id: string, condition: string | undefined, signal: AbortSignal): Promise<ContainerWaitResponse>;
  remove(id: string, opts: { force: boolean; volumes: boolean; link: boolean }, signal: AbortSignal): Promise<void>;
  rename(id: string, name: string | undefined): Promise<void>;
  update(id: string, body: ContainerUpdateBody, signal: AbortSignal): Promise<ContainerUpdateResponse>;
  logs(
    id: string,
    opts: {
      follow: boolean;
      stdout: boolean;
      stderr: boolean;
      since?: string;
      until?: string;
      timestamps: boolean;
      tail?: string;
      signal: AbortSignal;
    },
  ): { tty: boolean; chunks: AsyncIterable<{ stream: 'stdout' | 'stderr'; data: Buffer }> };
  /** Validates and returns a runner to call once the connection is hijacked. */
  attach(id: string, opts: AttachParams): { tty: boolean; run(conn: Duplex, framed: boolean): Promise<void> };
  prune(filters: Map<string, string[]>, signal: AbortSignal): Promise<ContainerPruneResponse>;
}

function stopOpts(ctx: RequestContext) {
  const t = ctx.query.str('t') ?? ctx.query.str('timeout');
  if (t !== undefined && t !== '' && !/^[+-]?\d+$/.test(t)) throw invalidArgument(`invalid value for t: "${t}"`);
  // dockerd parses it as a Go int: past int64 it is a 400, not a timer that overflows.
  if (t !== undefined && t !== '' && Math.abs(Number(t)) >= 2 ** 63)
    throw invalidArgument(`strconv.Atoi: parsing ${JSON.stringify(t)}: value out of range`);
  return { timeout: t === undefined || t === '' ? undefined : Number(t), signal: ctx.query.str('signal') };
}

export function containerRoutes(r: Router, b: ContainersBackend): void {
  r.add('POST', '/containers/create', async (ctx) => {
    checkForJson(ctx.req);
    const body = await readJson(ctx.req, containerCreateBody);
    sendJson(ctx.res, 201, await b.create(ctx.query.str('name'), body, ctx.signal));
  });
  r.add('GET', '/containers/json', async (ctx) => {
    sendJson(
      ctx.res,
      200,
      await b.list({
        all: ctx.query.bool('all'),
        limit: ctx.query.int('limit'),
        size: ctx.query.bool('size'),
        filters: ctx.query.filters(),
      }),
    );
  });
  r.add('POST', '/containers/prune', async (ctx) =>
    sendJson(ctx.res, 200, await b.prune(ctx.query.filters(), ctx.signal)),
  );
  r.add('GET', '/containers/{id}/json', async (ctx) =>
    sendJson(ctx.res, 200, await b.inspect(ctx.params.id, ctx.query.bool('size'))),
  );
  r.add('POST', '/containers/{id}/start', async (ctx) => {
    await b.start(ctx.params.id, ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/stop', async (ctx) => {
    await b.stop(ctx.params.id, stopOpts(ctx), ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/restart', async (ctx) => {
    await b.restart(ctx.params.id, stopOpts(ctx), ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/kill', async (ctx) => {
    await b.kill(ctx.params.id, ctx.query.str('signal'), ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/update', async (ctx) => {
    checkForJson(ctx.req);
    const body = await readJson(ctx.req, containerUpdateBody);
    sendJson(ctx.res, 200, await b.update(ctx.params.id, body, ctx.signal));
  });
  r.add('POST', '/containers/{id}/rename', async (ctx) => {
    await b.rename(ctx.params.id, ctx.query.str('name'));
    sendNoContent(ctx.res);
  });
  const remove = async (ctx: RequestContext) => {
    await b.remove(
      ctx.params.id,
      {
        force: ctx.query.bool('force'),
        volumes: ctx.query.bool('v'),
        link: ctx.query.bool('link'),
      },
      ctx.signal,
    );
    sendNoContent(ctx.res);
  };
  r.add('DELETE', '/containers/{id}', remove);
  // `docker rm --link` sends the link's name, parent/alias (only DELETE knows such a path).
  r.add('DELETE', '/containers/{id*}', remove, { only: true });
  r.add('POST', '/containers/{id}/wait', async (ctx) => {
    const result = b.wait(ctx.params.id, ctx.query.str('condition'), ctx.signal);
    // Headers go out at once: `docker run` waits for them before it starts the container.
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    try {
      ctx.res.end(JSON.stringify(await result) + '\n');
    } catch (err) {
      if (!ctx.signal.aborted)
        ctx.res.end(
          JSON.stringify({
            StatusCode: -1,
            Error: { Message: (err as Error).message },
          } satisfies ContainerWaitResponse) + '\n',
        );
    }
  });
  r.add('GET', '/containers/{id}/logs', async (ctx) => {
    const q = ctx.query;
    const { tty, chunks } = b.logs(ctx.params.id, {
      follow: q.bool('follow'),
      stdout: q.bool('stdout'),
      stderr: q.bool('stderr'),
      since: q.str('since'),
      until: q.str('until'),
      timestamps: q.bool('timestamps'),
      tail: q.str('tail'),
      signal: ctx.signal,
    });
    const framed = !tty;
    ctx.res.writeHead(200, {
      'Content-Type': framed ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream',
    });
    ctx.res.flushHeaders();
    try {
      for await (const c of chunks) {
        const ok = ctx.res.write(framed ? frame(c.stream === 'stdout' ? STDOUT : STDERR, c.data) : c.data);
        if (!ok) await new Promise((r2) => ctx.res.once('drain', r2));
        if (ctx.signal.aborted) break;
      }
    } finally {
      ctx.res.end();
    }
  });
  r.add('POST', '/containers/{id}/attach', async (ctx) => {
    const q = ctx.query;
    const att = b.attach(ctx.params.id, {
      stream: q.bool('stream'),
      logs: q.bool('logs'),
      stdin: q.bool('stdin'),
      stdout: q.bool('stdout'),
      stderr: q.bool('stderr'),
      detachKeys: q.str('detachKeys'),
    });
    const conn = hijack(ctx, streamContentType(ctx, att.tty));
    await att.run(conn, !att.tty);
  });
}
