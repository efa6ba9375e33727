// A small HTTP/1.1 client over a unix socket, written for timing: it reports when the
// response head arrived and when the body ended, and hands over hijacked (101) connections
// the way the docker CLI uses them for `attach`. One connection per request.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Head {
  status: number;
  headers: Record<string, string>;
  at: number;
}
export interface Full extends Head {
  body: Buffer;
  endAt: number;
}
export interface Exchange {
  /** Resolves when the status line and headers have arrived. */
  head: Promise<Head>;
  /** Resolves when the whole body has arrived (for 101: when the hijacked stream ended). */
  done: Promise<Full>;
  socket: Socket;
}

export interface RequestOptions {
  body?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** For 101 answers: half-close our side once upgraded, as the docker CLI does without stdin. */
  closeWriteOnUpgrade?: boolean;
}

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = 'HttpError';
  }
}

/** Starts one request; `head` and `done` settle independently (a wait's headers come early). */
export function exchange(socketPath: string, method: string, path: string, opts: RequestOptions = {}): Exchange {
  const socket = connect(socketPath);
  const headers: Record<string, string> = {
    Host: 'api.moby.localhost',
    'User-Agent': 'berth-bench/1',
    ...opts.headers,
  };
  let payload: Buffer | undefined;
  if (opts.body !== undefined) {
    payload = Buffer.from(JSON.stringify(opts.body));
    headers['Content-Type'] ??= 'application/json';
  } else if (opts.raw) payload = opts.raw;
  if (payload) headers['Content-Length'] = String(payload.length);
  else if (method === 'POST' || method === 'PUT') headers['Content-Length'] = '0';
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  text += '\r\n';

  let resolveHead!: (h: Head) => void;
  let rejectHead!: (e: Error) => void;
  let resolveDone!: (f: Full) => void;
  let rejectDone!: (e: Error) => void;
  const head = new Promise<Head>((res, rej) => {
    resolveHead = res;
    rejectHead = rej;
  });
  const done = new Promise<Full>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  head.catch(() => {});
  done.catch(() => {});

  let buf: Buffer = Buffer.alloc(0);
  let parsed: Head | undefined;
  let mode: 'length' | 'chunked' | 'close' | 'none' | 'hijacked' = 'close';
  let remaining = 0;
  const body: Buffer[] = [];
  let finished = false;

  const timer = setTimeout(
    () => fail(new Error(`timeout after ${opts.timeoutMs ?? 120_000} ms: ${method} ${path}`)),
    opts.timeoutMs ?? 120_000,
  );
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    resolveDone({ ...parsed!, body: Buffer.concat(body), endAt: performance.now() });
    socket.destroy();
  };
  function fail(err: Error) {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (!parsed) rejectHead(err);
    rejectDone(err);
    socket.destroy();
  }

  // Consumes as much of `buf` as the current mode allows.
  const pump = () => {
    if (!parsed) {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      const lines = buf.subarray(0, i).toString('latin1').split('\r\n');
      buf = buf.subarray(i + 4);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      if (!m) return fail(new Error(`bad status line: ${lines[0]}`));
      const h: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        if (c > 0) h[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
      }
      parsed = { status: Number(m[1]), headers: h, at: performance.now() };
      if (parsed.status === 101) mode = 'hijacked';
      else if (method === 'HEAD' || parsed.status === 204 || parsed.status === 304) mode = 'none';
      else if (/chunked/i.test(h['transfer-encoding'] ?? '')) mode = 'chunked';
      else if (h['content-length'] !== undefined) {
        mode = 'length';
        remaining = Number(h['content-length']);
      }
      resolveHead(parsed);
      if (mode === 'hijacked' && opts.closeWriteOnUpgrade) socket.end();
    }
    switch (mode) {
      case 'none':
        return finish();
      case 'hijacked':
      case 'close':
        if (buf.length) body.push(buf);
        buf = Buffer.alloc(0);
        return;
      case 'length': {
        const n = Math.min(remaining, buf.length);
        body.push(buf.subarray(0, n));
        buf = buf.subarray(n);
        remaining -= n;
        if (remaining === 0) finish();
        return;
      }
      case 'chunked':
        for (;;) {
          const i = buf.indexOf('\r\n');
          if (i < 0) return;
          const size = parseInt(buf.subarray(0, i).toString('latin1'), 16);
          if (Number.isNaN(size)) return fail(new Error('bad chunk size'));
          if (size === 0) return finish();
          if (buf.length < i + 2 + size + 2) return;
          body.push(buf.subarray(i + 2, i + 2 + size));
          buf = buf.subarray(i + 2 + size + 2);
        }
    }
  };

  socket.on('data', (c: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    pump();
  });
  socket.on('end', () => {
    if (parsed && (mode === 'close' || mode === 'hijacked')) finish();
    else fail(new Error(`connection closed early: ${method} ${path}`));
  });
  socket.on('error', (e) => fail(e));
  socket.on('close', () => {
    if (!finished) fail(new Error(`connection closed: ${method} ${path}`));
  });
  socket.write(text);
  if (payload) socket.write(payload);
  return { head, done, socket };
}

/** One request to completion; throws HttpError on a status outside `ok` (default 2xx). */
export async function request(
  socketPath: string,
  method: string,
  path: string,
  opts: RequestOptions & { ok?: (s: number) => boolean } = {},
): Promise<Full> {
  const r = await exchange(socketPath, method, path, opts).done;
  const ok = opts.ok ?? ((s: number) => s >= 200 && s < 300);
  if (!ok(r.status)) throw new HttpError(r.status, `${method} ${path}: ${r.status} ${r.body.toString().trim()}`);
  return r;
}

export async function requestJson<T>(
  socketPath: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  return JSON.parse((await request(socketPath, method, path, opts)).body.toString()) as T;
}
