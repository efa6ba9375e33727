// The hijacked connection the docker CLI uses for attach/exec-start: an HTTP
// request with `Connection: Upgrade` / `Upgrade: tcp`, answered by `101 UPGRADED`
// (or, from older daemons, a plain 200 that never ends), after which the socket
// carries raw stdio: 8-byte framed unless the container has a TTY.
//
// Written over node:net directly so that the bytes following the response head
// are never consumed by an HTTP parser.

import type { Socket } from 'node:net';
import { onConnected, openSocket } from './http1.ts';
import { ApiError, ConnectError, errorMessage, type Endpoint } from './transport.ts';
import { createDemuxer } from './stdcopy.ts';
import { DetachMatcher } from '../common/detach-keys.ts';

export interface HijackedConn {
  readonly socket: Socket;
  readonly status: number;
  /** Raw bytes received right after the response head. */
  readonly head: Buffer;
}

export interface HijackOptions {
  endpoint: Endpoint;
  host: string;
  method?: string;
  path: string;
  body?: unknown;
}

/** Opens the connection and resolves once a 101/200 head has been read. */
export function hijack(opts: HijackOptions): Promise<HijackedConn> {
  const { endpoint } = opts;
  return new Promise((resolve, reject) => {
    const socket = openSocket(endpoint);
    let buf = Buffer.alloc(0);
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(err);
    };
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES')
        fail(new ConnectError(opts.host, err));
      else fail(err);
    });
    onConnected(endpoint, socket, () => {
      const payload = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(opts.body));
      const hostHeader = endpoint.kind === 'unix' ? 'api.moby.localhost' : `${endpoint.host}:${endpoint.port}`;
      const head =
        `${opts.method ?? 'POST'} ${opts.path} HTTP/1.1\r\n` +
        `Host: ${hostHeader}\r\n` +
        `User-Agent: berth-cli\r\n` +
        `Content-Type: ${payload.length ? 'application/json' : 'text/plain'}\r\n` +
        `Content-Length: ${payload.length}\r\n` +
        `Connection: Upgrade\r\n` +
        `Upgrade: tcp\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
    });
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const headText = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      const lines = headText.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      if (!m) return fail(new Error(`malformed response from daemon: ${lines[0]}`));
      const status = Number(m[1]);
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      if (status === 101 || status === 200) {
        done = true;
        socket.removeAllListeners('error');
        resolve({ socket, status, head: rest });
        return;
      }
      readErrorBody(socket, rest, headers).then(
        (body) => fail(new ApiError(status, errorMessage(status, body))),
        (err: Error) => fail(err),
      );
    };
    socket.on('data', onData);
    socket.on('end', () => fail(new Error('connection closed by daemon before a response')));
  });
}

function readErrorBody(socket: Socket, first: Buffer, headers: Map<string, string>): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = first;
    const len = headers.has('content-length') ? Number(headers.get('content-length')) : undefined;
    const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
    const finish = () => {
      socket.removeAllListeners('data');
      resolve(chunked ? dechunk(buf) : len !== undefined ? buf.subarray(0, len) : buf);
    };
    const complete = () =>
      (len !== undefined && buf.length >= len) ||
      (chunked && buf.includes('\r\n0\r\n\r\n')) ||
      (chunked && buf.subarray(0, 5).toString() === '0\r\n\r\n');
    if (complete()) return finish();
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (complete()) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.resume();
  });
}

function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    const nl = buf.indexOf('\r\n', off);
    if (nl < 0) break;
    const size = parseInt(buf.subarray(off, nl).toString('latin1'), 16);
    if (!size) break;
    out.push(buf.subarray(nl + 2, nl + 2 + size));
    off = nl + 2 + size + 2;
  }
  return Buffer.concat(out);
}

export interface Writable {
  write(data: Buffer): unknown;
}

export interface StreamOptions {
  tty: boolean;
  /** Sent to the container; the socket is half-closed when it ends. */
  stdin?: NodeJS.ReadableStream | null;
  stdout?: Writable | null;
  stderr?: Writable | null;
  /** The escape proxy (TTY): this sequence on stdin detaches instead of being sent. */
  detachKeys?: Buffer;
}

export interface Streaming {
  /** Resolves when the daemon closes the output side. */
  readonly done: Promise<void>;
  /** Stop reading stdin and close the connection. */
  close(): void;
  /** True once the user typed the detach keys (the container keeps running). */
  readonly detached: boolean;
}

/** Pump stdio over a hijacked connection (Docker's hijackedIOStreamer). */
export function streamHijacked(conn: HijackedConn, opts: StreamOptions): Streaming {
  const { socket } = conn;
  const out = (stream: number, data: Buffer) => {
    if (stream === 2) opts.stderr?.write(data);
    else opts.stdout?.write(data);
  };
  const demux = opts.tty ? undefined : createDemuxer((s, p) => out(s, p));
  const onData = (chunk: Buffer) => {
    if (demux) demux.push(chunk);
    else out(1, chunk);
  };
  let stdinListener: ((c: Buffer | string) => void) | undefined;
  let stdinEnd: (() => void) | undefined;
  const stdin = opts.stdin;
  const stopStdin = () => {
    if (!stdin) return;
    if (stdinListener) stdin.removeListener('data', stdinListener);
    if (stdinEnd) stdin.removeListener('end', stdinEnd);
    stdin.pause();
    (stdin as { unref?: () => void }).unref?.();
  };
  const done = new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      stopStdin();
      if (err) reject(err);
      else resolve();
    };
    if (conn.head.length) onData(conn.head);
    socket.on('data', onData);
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish();
      else finish(err);
    });
    socket.resume();
  });
  let detached = false;
  if (stdin) {
    const matcher = opts.detachKeys?.length ? new DetachMatcher(opts.detachKeys) : undefined;
    stdinListener = (c) => {
      if (socket.writableEnded || detached) return;
      const buf = typeof c === 'string' ? Buffer.from(c) : c;
      const r = matcher ? matcher.feed(buf) : { out: buf, detached: false };
      if (r.out.length) socket.write(r.out);
      if (r.detached) {
        detached = true;
        stopStdin();
        socket.destroy();
      }
    };
    stdinEnd = () => {
      if (!socket.writableEnded) socket.end();
    };
    stdin.on('data', stdinListener);
    stdin.on('end', stdinEnd);
    stdin.resume();
  }
  return {
    done,
    get detached() {
      return detached;
    },
    close() {
      stopStdin();
      socket.destroy();
    },
  };
}
