// The CRI's streaming server: Exec, Attach and PortForward answer a URL on it; the client
// (crictl, critest, kubelet's proxy) connects there with `Upgrade: SPDY/3.1` (the protocol
// negotiated by X-Stream-Protocol-Version, the client's order) or `Upgrade: websocket` (by
// Sec-WebSocket-Protocol, the client's order), and the session runs the request the URL's
// token stands for. Plain HTTP on a loopback address by default,
// as containerd's; the token is the capability.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../common/logger.ts';
import { invalidArgument, messageOf } from '../../common/errors.ts';
import { WebSocketConnection } from '../../common/websocket/connection.ts';
import { CloseCode } from '../../common/websocket/frames.ts';
import {
  HandshakeError,
  type HandshakeRequest,
  handshakeResponse,
  isWebSocketUpgrade,
  parseHandshake,
} from '../../common/websocket/handshake.ts';
import { messageStream } from '../../common/websocket/message-stream.ts';
import type * as cri from '../../cri-types/api.ts';
import type { StreamingBackend } from '../backend.ts';
import { SpdySession } from '../spdy/session.ts';
import { PORT_FORWARD_PROTOCOL, servePortForward } from './portforward.ts';
import {
  REMOTE_COMMAND_PROTOCOLS,
  type RemoteCommandOptions,
  type RunCommand,
  serveRemoteCommand,
} from './remotecommand.ts';
import { RequestCache } from './requests.ts';
import { ChannelConnection } from './ws-channels.ts';
import { portForwardReadable, portsOf, servePortForwardWs, WS_PORT_FORWARD_PROTOCOLS } from './ws-portforward.ts';
import { remoteCommandReadable, serveRemoteCommandWs, WS_REMOTE_COMMAND_PROTOCOLS } from './ws-remotecommand.ts';

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

/** Subprotocols `SPDY/3.1+<protocol>` carry a SPDY session inside the WebSocket. */
const SPDY_TUNNEL = 'SPDY/3.1+';

function commandOptions(r: cri.Decoded<cri.ExecRequest> | cri.Decoded<cri.AttachRequest>): RemoteCommandOptions {
  return { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty };
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
  /** Open sessions (SPDY or WebSocket), closed at shutdown. */
  private readonly live = new Set<{ close(code?: number): void }>();
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
    const url = new URL(req.url ?? '/', 'http://streaming');
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    const upgradeTo = (req.headers.upgrade ?? '').toLowerCase();
    if (m && upgradeTo !== 'spdy/3.1' && !isWebSocketUpgrade(req.headers)) {
      refuse(
        socket,
        400,
        'Bad Request',
        `unable to upgrade to ${JSON.stringify(req.headers.upgrade ?? '')}: the streaming server speaks SPDY/3.1 and websocket`,
      );
      return;
    }
    let handshake: HandshakeRequest | undefined;
    if (m && upgradeTo === 'websocket') {
      try {
        handshake = parseHandshake(req.method, req.headers);
      } catch (err) {
        if (!(err instanceof HandshakeError)) throw err;
        refuse(socket, err.status, err.status === 426 ? 'Upgrade Required' : 'Bad Request', err.message, err.headers);
        return;
      }
    }
    const p = m ? this.pending.consume(m[2]) : undefined;
    if (!m || !p || p.kind !== m[1]) {
      refuse(socket, 404, 'Not Found', 'streaming request not found or expired');
      return;
    }
    socket.setNoDelay(true);
    if (handshake) this.upgradeWebSocket(handshake, url, socket, head, p);
    else this.upgradeSpdy(req, socket, head, p);
  }

  private upgradeSpdy(req: IncomingMessage, socket: Socket, head: Buffer, p: Pending): void {
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
    this.serveSpdy(new SpdySession(socket), protocol, p);
    // Frames that arrived with the upgrade request belong to the session.
    if (head.length) socket.unshift(head);
  }

  /**
   * A WebSocket: the channel protocol (remote-command v5/v4, port-forward v4 with the ports
   * in the URL or the PortForward request) or, for a `SPDY/3.1+` subprotocol, a SPDY session tunnelled in binary
   * messages (client-go's websocket port-forward, crictl's --transport websocket).
   */
  private upgradeWebSocket(hs: HandshakeRequest, url: URL, socket: Socket, head: Buffer, p: Pending): void {
    const served =
      p.kind === 'portforward'
        ? [...WS_PORT_FORWARD_PROTOCOLS, SPDY_TUNNEL + PORT_FORWARD_PROTOCOL]
        : [...WS_REMOTE_COMMAND_PROTOCOLS, ...REMOTE_COMMAND_PROTOCOLS.map((v) => SPDY_TUNNEL + v)];
    const protocol = hs.protocols.find((c) => served.includes(c));
    if (!protocol) {
      refuse(
        socket,
        403,
        'Forbidden',
        `unable to upgrade: requested protocol(s) are not supported: [${hs.protocols.join(' ')}]; supports [${served.join(' ')}]`,
      );
      return;
    }
    const tunnelled = protocol.startsWith(SPDY_TUNNEL);
    let ports: number[] = [];
    if (p.kind === 'portforward' && !tunnelled) {
      try {
        ports = portsOf(url.searchParams, p.req.port);
      } catch (err) {
        refuse(socket, 400, 'Bad Request', messageOf(err));
        return;
      }
    }
    socket.write(handshakeResponse(hs.key, protocol));
    const conn = new WebSocketConnection(socket, { head });
    this.live.add(conn);
    conn.once('close', () => this.live.delete(conn));
    if (tunnelled) {
      this.serveSpdy(new SpdySession(messageStream(conn)), protocol.slice(SPDY_TUNNEL.length), p);
      return;
    }
    const { backend, log } = this.opts;
    const base = { base64: protocol.includes('.base64.'), streamClose: protocol === 'v5.channel.k8s.io' };
    if (p.kind === 'portforward') {
      const channels = new ChannelConnection(conn, { ...base, readable: portForwardReadable(ports) });
      servePortForwardWs(channels, p.req.pod_sandbox_id, ports, p.req.port, backend, log);
      return;
    }
    const opts = commandOptions(p.req);
    const channels = new ChannelConnection(conn, { ...base, readable: remoteCommandReadable(opts) });
    serveRemoteCommandWs(channels, protocol, opts, this.runner(p), log);
  }

  private serveSpdy(session: SpdySession, protocol: string, p: Pending): void {
    this.live.add(session);
    session.once('close', () => this.live.delete(session));
    const { backend, log } = this.opts;
    if (p.kind === 'portforward') servePortForward(session, p.req.pod_sandbox_id, p.req.port, backend, log);
    else serveRemoteCommand(session, protocol, commandOptions(p.req), this.runner(p), log);
  }

  private runner(p: Exclude<Pending, { kind: 'portforward' }>): RunCommand {
    const { backend } = this.opts;
    return p.kind === 'exec'
      ? (io) => backend.exec(p.req, io)
      : (io) => backend.attach(p.req, io).then(() => undefined);
  }

  async close(): Promise<void> {
    for (const s of this.live) s.close(CloseCode.GoingAway);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
