// The CRI's streaming server: Exec, Attach and PortForward answer a URL on it; the client
// (crictl, critest, kubelet's proxy) connects there with `Upgrade: SPDY/3.1`, the protocol
// version is negotiated (X-Stream-Protocol-Version, the client's order), and the session
// runs the request the URL's token stands for. Plain HTTP on a loopback address by default,
// as containerd's; the token is the capability.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../common/logger.ts';
import { invalidArgument } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';
import type { StreamingBackend } from '../backend.ts';
import { SpdySession } from '../spdy/session.ts';
import { PORT_FORWARD_PROTOCOL, servePortForward } from './portforward.ts';
import { REMOTE_COMMAND_PROTOCOLS, serveRemoteCommand } from './remotecommand.ts';
import { RequestCache } from './requests.ts';

type Pending =
  | { kind: 'exec'; req: cri.Decoded<cri.ExecRequest> }
  | { kind: 'attach'; req: cri.Decoded<cri.AttachRequest> }
  | { kind: 'portforward'; req: cri.Decoded<cri.PortForwardRequest> };

export interface StreamServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  address: string;
  backend: StreamingBackend;
  log: Logger;
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(address);
  if (!m) throw invalidArgument(`CRI stream address ${JSON.stringify(address)}: want host:port`);
  return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

/** The client's protocols (repeated and comma-separated headers), in its order. */
function offered(req: IncomingMessage): string[] {
  const raw = req.headersDistinct['x-stream-protocol-version'] ?? [];
  return raw.flatMap((v) => v.split(',').map((p) => p.trim())).filter(Boolean);
}

function refuse(socket: Socket, status: number, reason: string, message: string, extra: string[] = []): void {
  const body = message + '\n';
  socket.end(
    [
      `HTTP/1.1 ${status} ${reason}`,
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      ...extra,
      '',
      body,
    ].join('\r\n'),
  );
}

export class StreamServer {
  private readonly opts: StreamServerOptions;
  private readonly pending = new RequestCache<Pending>();
  private readonly server: Server;
  private readonly sessions = new Set<SpdySession>();
  private base = '';

  constructor(opts: StreamServerOptions) {
    this.opts = opts;
    this.server = createServer((req, res) => {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('unable to upgrade: missing upgrade headers in request\n');
      req.resume();
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
  }

  async listen(): Promise<string> {
    const { host, port } = splitAddress(this.opts.address);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as { address: string; port: number };
    this.base = `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    return this.base;
  }

  /** The URL an Exec, Attach or PortForward call answers. */
  url(p: Pending): string {
    return `${this.base}/${p.kind}/${this.pending.insert(p)}`;
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {});
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/.exec((req.url ?? '').split('?')[0]);
    const p = m ? this.pending.consume(m[2]) : undefined;
    if (!m || !p || p.kind !== m[1]) {
      refuse(socket, 404, 'Not Found', 'streaming request not found or expired');
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') {
      refuse(
        socket,
        400,
        'Bad Request',
        `unable to upgrade to ${JSON.stringify(req.headers.upgrade ?? '')}: berthd's streaming server speaks SPDY/3.1 only (use crictl --transport spdy)`,
      );
      return;
    }
    const serverProtocols = p.kind === 'portforward' ? [PORT_FORWARD_PROTOCOL] : REMOTE_COMMAND_PROTOCOLS;
    const client = offered(req);
    const protocol = client.find((c) => serverProtocols.includes(c));
    if (!protocol) {
      refuse(
        socket,
        403,
        'Forbidden',
        `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${serverProtocols.join(' ')}]`,
        serverProtocols.map((s) => `X-Accepted-Stream-Protocol-Versions: ${s}`),
      );
      return;
    }
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        `X-Stream-Protocol-Version: ${protocol}`,
        '',
        '',
      ].join('\r\n'),
    );
    const session = new SpdySession(socket);
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    const { backend, log } = this.opts;
    if (p.kind === 'portforward') {
      servePortForward(session, p.req.pod_sandbox_id, p.req.port, backend, log);
    } else {
      const r = p.req;
      const opts = { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty };
      serveRemoteCommand(
        session,
        protocol,
        opts,
        p.kind === 'exec' ? (io) => backend.exec(p.req, io) : (io) => backend.attach(p.req, io).then(() => undefined),
        log,
      );
    }
    // Frames that arrived with the upgrade request belong to the session.
    if (head.length) socket.unshift(head);
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
