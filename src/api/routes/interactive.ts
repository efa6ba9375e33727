// Routes for working with a running container: resize, pause/unpause, top, stats, the
// websocket attach, exec (create, start, resize, inspect) and /events.
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import { readJson, sendJson, sendNoContent } from '../http.ts';
import { hijack, readUpgradeBody, streamContentType, upgradeBodyLength } from '../hijack.ts';
import type { Router, RequestContext } from '../router.ts';
import { versionAtLeast } from '../../common/api-version.ts';
import { acceptWebSocket, webSocketKey } from '../websocket.ts';
import type { AttachParams } from './containers.ts';
import type { ContainerStatsResponse, ContainerTopResponse } from '../types/containers.ts';
import type { IdResponse } from '../types/common.ts';
import type { EventMessage } from '../types/events.ts';
import type { ExecCreateBody, ExecInspect, ExecStartBody } from '../types/exec.ts';
import { execCreateBody, execStartBody } from '../decode/containers.ts';
import { decodeJson } from '../decode/go-json.ts';

export interface ExecStartParams {
  detach: boolean;
  tty?: boolean;
  consoleSize?: [number, number];
}

export interface EventFeed {
  past: EventMessage[];
  follow?: { subscribe(onEvent: (e: EventMessage) => void): () => void; untilNano?: number };
}

export interface InteractiveBackend {
  resize(id: string, h: number, w: number): Promise<void>;
  /** `signal` (here and below) aborts when the client goes away. */
  pause(id: string, signal: AbortSignal): Promise<void>;
  unpause(id: string, signal: AbortSignal): Promise<void>;
  top(id: string, psArgs: string | undefined, signal: AbortSignal): Promise<ContainerTopResponse>;
  /** Throws (404) before the first sample; yields one sample, or one a second when streaming. */
  stats(
    id: string,
    o: { stream: boolean; oneShot: boolean; signal: AbortSignal },
  ): AsyncIterable<ContainerStatsResponse>;
  attach(id: string, opts: AttachParams): { tty: boolean; run(conn: Duplex, framed: boolean): Promise<void> };
  execCreate(id: string, body: ExecCreateBody): Promise<IdResponse>;
  /** Validates; `run` starts the process (streaming to `conn` unless detached). */
  execStart(
    execId: string,
    o: ExecStartParams,
  ): { detach: boolean; tty: boolean; run(conn: Duplex | undefined, framed: boolean): Promise<void> };
  execResize(execId: string, h: number, w: number): Promise<void>;
  execInspect(execId: string): ExecInspect;
  events(q: { since?: string; until?: string; filters: Map<string, string[]> }): EventFeed;
}

/** Bytes a slow /events or /stats reader may leave unread before its stream is ended. */
const MAX_UNREAD = 8 << 20;

function size(ctx: RequestContext): [number, number] {
  const h = ctx.query.str('h') ?? '';
  const w = ctx.query.str('w') ?? '';
  if (!/^\d+$/.test(h) || !/^\d+$/.test(w))
    throw invalidArgument(`invalid resize size: h=${JSON.stringify(h)} w=${JSON.stringify(w)}`);
  return [Number(h), Number(w)];
}

/** Writes JSON lines as a never-ending 200 until `done`; ends early for a reader that stopped reading. */
async function jsonStream<T>(ctx: RequestContext, run: (send: (v: T) => boolean) => Promise<void>): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  const send = (v: T) => {
    if (ctx.res.writableEnded || ctx.res.destroyed) return false;
    if (ctx.res.writableLength > MAX_UNREAD) {
      ctx.res.end();
      return false;
    }
    ctx.res.write(JSON.stringify(v) + '\n');
    return true;
  };
  try {
    await run(send);
  } finally {
    if (!ctx.res.writableEnded) ctx.res.end();
  }
}

/**
 * The JSON body of a request that asked to upgrade: Node hands such a request over before
 * parsing its body, so the body's Content-Length bytes are the first ones of the stream.
 */
async function readStartBody(ctx: RequestContext): Promise<{ ctx: RequestContext; body: ExecStartBody }> {
  if (!ctx.upgrade) return { ctx, body: await readJson(ctx.req, execStartBody) };
  const len = upgradeBodyLength(ctx.req);
  const { socket } = ctx.upgrade;
  const buf = await readUpgradeBody(socket, ctx.upgrade.head, len);
  const body = decodeJson(execStartBody, buf.subarray(0, len).toString('utf8'));
  return { ctx: { ...ctx, upgrade: { socket, head: buf.subarray(len) } }, body };
}

export function interactiveRoutes(r: Router, b: InteractiveBackend): void {
  r.add('POST', '/containers/{id}/resize', async (ctx) => {
    const [h, w] = size(ctx);
    await b.resize(ctx.params.id, h, w);
    ctx.res.writeHead(200).end();
  });
  r.add('POST', '/containers/{id}/pause', async (ctx) => {
    await b.pause(ctx.params.id, ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('POST', '/containers/{id}/unpause', async (ctx) => {
    await b.unpause(ctx.params.id, ctx.signal);
    sendNoContent(ctx.res);
  });
  r.add('GET', '/containers/{id}/top', async (ctx) =>
    sendJson(ctx.res, 200, await b.top(ctx.params.id, ctx.query.str('ps_args'), ctx.signal)),
  );
  r.add('GET', '/containers/{id}/stats', async (ctx) => {
    const stream = ctx.query.bool('stream', true);
    const oneShot = ctx.query.bool('one-shot');
    if (oneShot && stream) throw invalidArgument('cannot have stream=true and one-shot=true');
    const samples = b.stats(ctx.params.id, { stream, oneShot, signal: ctx.signal });
    await jsonStream(ctx, async (send) => {
      for await (const s of samples) if (!send(s)) break;
    });
  });
  r.add('GET', '/containers/{id}/attach/ws', async (ctx) => {
    if (!ctx.upgrade) throw invalidArgument('websocket upgrade required');
    const key = webSocketKey(ctx.req);
    const q = ctx.query;
    const att = b.attach(ctx.params.id, {
      stream: q.bool('stream'),
      logs: q.bool('logs'),
      stdin: q.bool('stdin'),
      stdout: q.bool('stdout'),
      stderr: q.bool('stderr'),
      detachKeys: q.str('detachKeys'),
    });
    const ws = acceptWebSocket(ctx.upgrade.socket, ctx.upgrade.head, key, versionAtLeast(ctx.version, '1.28'));
    await att.run(ws, false);
  });
  r.add('POST', '/containers/{id}/exec', async (ctx) => {
    sendJson(ctx.res, 201, await b.execCreate(ctx.params.id, await readJson(ctx.req, execCreateBody)));
  });
  r.add('POST', '/exec/{id}/start', async (ctx0) => {
    const { ctx, body } = await readStartBody(ctx0);
    const start = b.execStart(ctx.params.id, {
      detach: body.Detach ?? false,
      tty: body.Tty,
      consoleSize: body.ConsoleSize ?? undefined,
    });
    if (start.detach) {
      await start.run(undefined, false);
      ctx.res.writeHead(200, { 'Content-Type': 'application/json' }).end();
      return;
    }
    // The framing follows this request's Tty, not the exec's (dockerd): SDKs start a TTY
    // exec with Tty false by default and then read a multiplexed stream.
    const framed = body.Tty !== true;
    const conn = hijack(ctx, streamContentType(ctx, !framed));
    await start.run(conn, framed);
  });
  r.add('POST', '/exec/{id}/resize', async (ctx) => {
    const [h, w] = size(ctx);
    await b.execResize(ctx.params.id, h, w);
    ctx.res.writeHead(200).end();
  });
  r.add('GET', '/exec/{id}/json', async (ctx) => sendJson(ctx.res, 200, b.execInspect(ctx.params.id)));
  r.add('GET', '/events', async (ctx) => {
    const feed = b.events({
      since: ctx.query.str('since'),
      until: ctx.query.str('until'),
      filters: ctx.query.filters(),
    });
    await jsonStream(ctx, async (send) => {
      for (const e of feed.past) if (!send(e)) return;
      const follow = feed.follow;
      if (!follow) return;
      await new Promise<void>((resolve) => {
        const unsubscribe = follow.subscribe((e) => {
          if (!send(e)) done();
        });
        const timer =
          follow.untilNano !== undefined
            ? setTimeout(done, Math.max(0, follow.untilNano / 1e6 - Date.now()))
            : undefined;
        function done() {
          unsubscribe();
          if (timer) clearTimeout(timer);
          ctx.signal.removeEventListener('abort', done);
          resolve();
        }
        ctx.signal.addEventListener('abort', done, { once: true });
      });
    });
  });
}
