// HTTP on unix sockets (and TCP): dispatches plain and upgraded requests to the router,
// and turns every thrown error into Docker's error body via api/errors.ts.
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../common/logger.ts';
import { invalidArgument } from '../common/errors.ts';
import { sendError } from './errors.ts';
import { Query } from './http.ts';
import { Router, type RequestContext } from './router.ts';

export interface ApiServerOptions {
  router: Router;
  log: Logger;
  /** Group owning unix sockets (Docker uses "docker"); undefined keeps root's. */
  socketGid?: number;
}

export class ApiServer {
  private readonly opts: ApiServerOptions;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Duplex>();

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
  }

  private makeServer(): Server {
    const server = createServer({ requireHostHeader: false, keepAliveTimeout: 65_000 });
    server.on('request', (req, res) => void this.dispatch(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      void this.dispatch(req, res, { socket, head });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    return server;
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    upgrade?: { socket: Duplex; head: Buffer },
  ): Promise<void> {
    const ac = new AbortController();
    const onClose = () => ac.abort();
    (upgrade?.socket ?? res).once('close', onClose);
    req.once('close', () => {
      if (!req.complete) ac.abort();
    });
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      const { version, path } = Router.splitVersion(url.pathname);
      const { handler, params } = this.opts.router.match(req.method ?? 'GET', path);
      const ctx: RequestContext = {
        req,
        res,
        params,
        query: new Query(url.searchParams),
        version,
        upgrade,
        signal: ac.signal,
      };
      res.setHeader('Api-Version', version);
      res.setHeader('Server', 'Berth');
      await handler(ctx);
    } catch (err) {
      if ((err as { status?: number }).status === 405 && !res.headersSent) {
        res
          .writeHead(405, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ message: (err as Error).message }) + '\n');
      } else {
        this.opts.log.debug('request failed', { method: req.method, url: req.url, err });
        sendError(res, err);
      }
    }
  }

  /** Listens on unix:// or tcp:// addresses; unix sockets are 0660 before they accept. */
  async listen(addresses: readonly string[]): Promise<void> {
    for (const addr of addresses) {
      const server = this.makeServer();
      if (addr.startsWith('unix://')) {
        const path = addr.slice('unix://'.length);
        await mkdir(dirname(path), { recursive: true, mode: 0o711 });
        await rm(path, { force: true });
        // listen() binds and starts accepting in one call: the umask makes the socket
        // 0660 from the moment it exists.
        const old = process.umask(0o117);
        try {
          await new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(path, () => {
              server.off('error', reject);
              resolve();
            });
          });
        } finally {
          process.umask(old);
        }
        await chmod(path, 0o660);
        if (this.opts.socketGid !== undefined) await chown(path, 0, this.opts.socketGid);
      } else if (addr.startsWith('tcp://')) {
        const u = new URL(addr.replace(/^tcp:/, 'http:'));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(Number(u.port || 2375), u.hostname.replace(/^\[|\]$/g, ''), () => {
            server.off('error', reject);
            resolve();
          });
        });
      } else {
        throw invalidArgument(`unsupported listen address ${addr} (use unix:// or tcp://)`);
      }
      this.servers.push(server);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
