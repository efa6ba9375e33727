// A minimal HTTP/1.1 client over node:net, one connection per request.
// node:http costs ~15-20 ms to load; the CLI's start-up budget is smaller than that.
// Handles Content-Length, chunked and read-until-close bodies, streamed either way.

import { connect, isIP, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Endpoint } from './endpoint.ts';

// node:tls only loads when a daemon is reached over TLS (it costs start-up time otherwise).
const load = createRequire(import.meta.url);

export interface ResponseStream extends Readable {
  statusCode: number;
  headers: Record<string, string>;
}

export interface Http1Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | NodeJS.ReadableStream;
  signal?: AbortSignal;
}

export function openSocket(endpoint: Endpoint): Socket {
  if (endpoint.kind === 'unix') return connect(endpoint.path);
  const t = endpoint.tls;
  if (!t) return connect(endpoint.port, endpoint.host);
  const tls = load('node:tls') as typeof import('node:tls');
  return tls.connect({
    host: endpoint.host,
    port: endpoint.port,
    ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }),
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    rejectUnauthorized: t.verify,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  });
}

/** 'connect' for plain sockets, 'secureConnect' once a TLS handshake is done. */
export function onConnected(endpoint: Endpoint, socket: Socket, fn: () => void): void {
  socket.once(endpoint.kind === 'tcp' && endpoint.tls ? 'secureConnect' : 'connect', fn);
}

export const hostHeader = (e: Endpoint) =>
  e.kind === 'unix' ? 'api.moby.localhost' : `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;

/** Parse "HTTP/1.1 200 OK\r\nK: v…" (without the blank line). */
export function parseHead(text: string): { status: number; headers: Record<string, string> } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

/** Incremental Transfer-Encoding: chunked decoder. */
function chunkedDecoder(push: (b: Buffer) => void, end: () => void) {
  let buf: Buffer = Buffer.alloc(0);
  let remaining = -1; // bytes left in the current chunk; -1 = expecting a size line
  let finished = false;
  return (chunk: Buffer) => {
    if (finished) return;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (remaining < 0) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const size = parseInt(buf.subarray(0, nl).toString('latin1').split(';')[0]!, 16);
        buf = buf.subarray(nl + 2);
        if (!size) {
          finished = true;
          end();
          return;
        }
        remaining = size;
      }
      if (remaining > 0) {
        if (buf.length === 0) return;
        const take = Math.min(remaining, buf.length);
        push(buf.subarray(0, take));
        buf = buf.subarray(take);
        remaining -= take;
      }
      if (remaining === 0) {
        if (buf.length < 2) return;
        buf = buf.subarray(2);
        remaining = -1;
      }
    }
  };
}

export function request(endpoint: Endpoint, req: Http1Request): Promise<ResponseStream> {
  return new Promise((resolve, reject) => {
    const socket = openSocket(endpoint);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) {
        res?.destroy(err);
        return;
      }
      settled = true;
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
    if (req.signal) {
      if (req.signal.aborted) return onAbort();
      req.signal.addEventListener('abort', onAbort, { once: true });
    }
    let res: ResponseStream | undefined;
    socket.on('error', (err) => fail(err));
    onConnected(endpoint, socket, () => {
      const headers: Record<string, string> = {
        Host: hostHeader(endpoint),
        'User-Agent': 'berth-cli',
        Connection: 'close',
        ...req.headers,
      };
      const body = req.body;
      if (Buffer.isBuffer(body)) headers['Content-Length'] = String(body.length);
      else if (body) headers['Transfer-Encoding'] = 'chunked';
      else if (req.method !== 'GET' && req.method !== 'HEAD') headers['Content-Length'] = '0';
      let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      head += '\r\n';
      if (Buffer.isBuffer(body)) socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      else {
        socket.write(head, 'latin1');
        if (body) {
          body.on('data', (c: Buffer | string) => {
            const b = typeof c === 'string' ? Buffer.from(c) : c;
            if (b.length)
              socket.write(Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]));
          });
          body.on('end', () => socket.write('0\r\n\r\n'));
          body.on('error', (e: Error) => fail(e));
        }
      }
    });
    let headBuf: Buffer = Buffer.alloc(0);
    let feed: ((b: Buffer) => void) | undefined;
    const onData = (chunk: Buffer) => {
      if (feed) return feed(chunk);
      headBuf = Buffer.concat([headBuf, chunk]);
      const end = headBuf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const parsed = parseHead(headBuf.subarray(0, end).toString('latin1'));
      if (!parsed) return fail(new Error('malformed HTTP response from daemon'));
      if (parsed.status === 100) {
        headBuf = headBuf.subarray(end + 4);
        if (headBuf.length) onData(Buffer.alloc(0));
        return;
      }
      const stream = new Readable({ read: () => socket.resume() }) as ResponseStream;
      stream.statusCode = parsed.status;
      stream.headers = parsed.headers;
      res = stream;
      stream.on('close', () => socket.destroy());
      const push = (b: Buffer) => {
        if (!stream.push(b)) socket.pause();
      };
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        req.signal?.removeEventListener('abort', onAbort);
        stream.push(null);
        socket.destroy();
      };
      const noBody = req.method === 'HEAD' || parsed.status === 204 || parsed.status === 304;
      if (noBody) {
        feed = () => {};
        finish();
      } else if (/chunked/i.test(parsed.headers['transfer-encoding'] ?? '')) {
        feed = chunkedDecoder(push, finish);
      } else if (parsed.headers['content-length'] !== undefined) {
        let left = Number(parsed.headers['content-length']);
        feed = (b: Buffer) => {
          if (left <= 0) return;
          const take = b.subarray(0, left);
          left -= take.length;
          if (take.length) push(take);
          if (left <= 0) finish();
        };
        if (left === 0) finish();
      } else {
        feed = push;
      }
      socket.on('end', finish);
      socket.on('close', finish);
      settled = true;
      resolve(stream);
      const rest = headBuf.subarray(end + 4);
      if (rest.length) feed(rest);
    };
    socket.on('data', onData);
    socket.on('end', () => {
      if (!settled) fail(new Error('connection closed by daemon before a response'));
    });
  });
}
