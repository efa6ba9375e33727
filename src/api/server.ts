// HTTP on unix sockets, TCP (with TLS) and sockets inherited from systemd: dispatches plain
// and upgraded requests to the router, bounds request bodies (body.ts), runs the
// authorization hook (authz.ts) before any handler, and turns every thrown error into
// Docker's error body via api/errors.ts.
import { createServer as createHttpServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../common/logger.ts';
import { invalidArgument, messageOf } from '../common/errors.ts';
import { sendError } from './errors.ts';
import { Query, MAX_JSON_BODY } from './http.ts';
import { Router, type RequestContext } from './router.ts';
import {
  bodyClass,
  bufferBody,
  DEFAULT_BODY_LIMITS,
  guardStream,
  hasBody,
  replayRequest,
  type BodyLimits,
} from './body.ts';
import { readUpgradeBody, upgradeBodyLength } from './hijack.ts';
import { decodeForAuthz } from './authz-decode.ts';
import { holdResponse, setUnixPeer, subjectOf, type AuthzRequest, type Authorizer, type UnixPeer } from './authz.ts';

/** Where to listen. TLS applies to TCP sockets only (as dockerd's socket activation). */
export type ListenSpec =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number; tls?: TlsOptions }
  | { kind: 'fd'; fd: number; unix: boolean; tls?: TlsOptions };

export interface ApiServerOptions {
  router: Router;
  log: Logger;
  /** Group owning unix sockets (Docker uses "docker"); undefined keeps root's. */
  socketGid?: number;
  /** SO_PEERCRED of an accepted unix connection (by fd). */
  peerCredentials?: (fd: number) => UnixPeer | undefined;
  /** The authorization in force (it changes on reload); undefined: everything is allowed. */
  authorizer?: () => Authorizer | undefined;
  bodyLimits?: BodyLimits;
}

export class ApiServer {
  private readonly opts: ApiServerOptions;
  private readonly http: Server;
  private readonly listeners: NetServer[] = [];
  private readonly sockets = new Set<Duplex>();
  /** What each listener ended up bound to (for logs and tests). */
  readonly bound: string[] = [];

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    // Bodies have their own bounds (body.ts): a whole-request timeout would also cut long
    // legitimate uploads. Headers still must arrive within Node's headersTimeout.
    this.http = createHttpServer({ requireHostHeader: false, keepAliveTimeout: 65_000, requestTimeout: 0 });
    this.http.on('request', (req, res) => void this.dispatch(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      void this.dispatch(req, res, { socket, head });
    });
    this.http.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
  }

  /** Hands an accepted connection to the HTTP server, noting a unix peer's credentials. */
  private accept(socket: Socket, unix: boolean): void {
    this.sockets.add(socket);
    // A client that went away (EPIPE, ECONNRESET) is never berthd's crash: node:http drops
    // its own error handler when a connection is hijacked, and writers may not add one.
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
    if (unix && this.opts.peerCredentials) {
      const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
      try {
        const peer = fd !== undefined && fd >= 0 ? this.opts.peerCredentials(fd) : undefined;
        if (peer) setUnixPeer(socket, peer);
      } catch (err) {
        this.opts.log.debug('could not read the peer credentials of a connection', { err: messageOf(err) });
      }
    }
    this.http.emit('connection', socket);
  }

  private async dispatch(
    rawReq: IncomingMessage,
    res: ServerResponse,
    upgrade?: { socket: Duplex; head: Buffer },
  ): Promise<void> {
    const ac = new AbortController();
    const onClose = () => ac.abort();
    (upgrade?.socket ?? res).once('close', onClose);
    rawReq.once('close', () => {
      if (!rawReq.complete) ac.abort();
    });
    let req = rawReq;
    try {
      const url = new URL(rawReq.url ?? '/', 'http://berth');
      const method = rawReq.method ?? 'GET';
      // As dockerd's "Calling …" at debug: which call a hung client was waiting on.
      this.opts.log.debug('calling', { method, url: rawReq.url });
      const { version, path } = Router.splitVersion(url.pathname);
      const { handler, params } = this.opts.router.match(method, path);
      res.setHeader('Api-Version', version);
      res.setHeader('Server', 'Berth');
      const authorizer = this.opts.authorizer?.();
      const limits = this.opts.bodyLimits ?? DEFAULT_BODY_LIMITS;
      let body: Buffer | undefined;
      if (upgrade) {
        // Its JSON body (exec start) is read here too: bounded in time, seen by authorization.
        const len = upgradeBodyLength(rawReq);
        const head = await readUpgradeBody(upgrade.socket, upgrade.head, len, limits.bufferedDeadlineMs);
        body = head.subarray(0, len);
        upgrade = { socket: upgrade.socket, head };
      } else if (hasBody(rawReq)) {
        const cls = bodyClass(method, path);
        if (cls.kind === 'buffer' || (authorizer && isJson(rawReq))) {
          body = await bufferBody(rawReq, cls.kind === 'buffer' ? cls.max : MAX_JSON_BODY, limits.bufferedDeadlineMs);
          req = replayRequest(rawReq, body);
        } else {
          req = guardStream(rawReq, limits.streamMax(), limits.streamIdleMs);
        }
      }
      let areq: AuthzRequest | undefined;
      if (authorizer) {
        areq = {
          subject: subjectOf(rawReq),
          method,
          uri: rawReq.url ?? '/',
          path,
          query: url.searchParams,
          rawHeaders: rawReq.rawHeaders,
          body,
          decoded: decodeForAuthz(method, path, body),
        };
        await authorizer.request(areq);
        const asked = areq;
        if (!upgrade)
          holdResponse(
            res,
            async (out, held) => {
              try {
                await authorizer.response(asked, out);
                return undefined;
              } catch (err) {
                if (held) return err as Error;
                this.opts.log.warn('authorization refused a response already sent', { url: rawReq.url, err });
                return undefined;
              }
            },
            (err) => sendError(res, err),
          );
      }
      const ctx: RequestContext = {
        req,
        res,
        params,
        query: new Query(url.searchParams),
        version,
        upgrade,
        signal: ac.signal,
      };
      await handler(ctx);
      if (upgrade && authorizer && areq)
        await authorizer
          .response(areq, { status: 101, headers: {} })
          .catch((err) => this.opts.log.warn('authorization refused a hijacked response', { url: rawReq.url, err }));
    } catch (err) {
      this.opts.log.debug('request failed', { method: rawReq.method, url: rawReq.url, err });
      sendError(res, err);
    }
  }

  /** Listens everywhere asked; unix sockets are 0660 before they accept. */
  async listen(specs: readonly ListenSpec[]): Promise<void> {
    for (const spec of specs) {
      const tls = spec.kind === 'unix' || (spec.kind === 'fd' && spec.unix) ? undefined : spec.tls;
      const unix = spec.kind === 'unix' || (spec.kind === 'fd' && spec.unix);
      let server: NetServer;
      if (tls) {
        const t = createTlsServer({ ...tls, ALPNProtocols: ['http/1.1'], allowHalfOpen: true });
        t.on('secureConnection', (s) => this.accept(s, false));
        t.on('tlsClientError', (err, s) => {
          this.opts.log.debug('TLS handshake failed', { err: messageOf(err), remote: s.remoteAddress });
          s.destroy();
        });
        server = t;
      } else {
        // Half-open as node:http's own server: a client that shuts its side of a hijacked
        // stream (no stdin) still reads the output.
        server = createNetServer({ allowHalfOpen: true }, (s) => this.accept(s, unix));
      }
      server.on('connection', (s: Socket) => {
        // Raw TCP under TLS: tracked too, so close() can cut a stalled handshake.
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      if (spec.kind === 'unix') {
        await mkdir(dirname(spec.path), { recursive: true, mode: 0o711 });
        await rm(spec.path, { force: true });
        // listen() binds and starts accepting in one call: the umask makes the socket
        // 0660 from the moment it exists.
        const old = process.umask(0o117);
        try {
          await listenOn(server, spec.path);
        } finally {
          process.umask(old);
        }
        await chmod(spec.path, 0o660);
        if (this.opts.socketGid !== undefined) await chown(spec.path, 0, this.opts.socketGid);
        this.bound.push(`unix://${spec.path}`);
      } else if (spec.kind === 'tcp') {
        await listenOn(server, { port: spec.port, host: spec.host });
        const a = server.address();
        this.bound.push(typeof a === 'object' && a ? `tcp://${a.address}:${a.port}` : `tcp://${spec.host}`);
      } else if (spec.kind === 'fd') {
        await listenOn(server, { fd: spec.fd });
        this.bound.push(`fd://${spec.fd}`);
      } else {
        throw invalidArgument('unsupported listen address');
      }
      this.listeners.push(server);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.listeners.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function listenOn(server: NetServer, where: string | { port: number; host: string } | { fd: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where as never, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function isJson(req: IncomingMessage): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}
