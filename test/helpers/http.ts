// Minimal HTTP over a unix socket for tests: raw status, headers and body.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = any>(): T;
}

export function request(
  socketPath: string,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: Buffer | Readable; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      headers['Content-Type'] ??= 'application/json';
    } else if (Buffer.isBuffer(opts.raw)) payload = opts.raw;
    const req = httpRequest({ socketPath, method, path, headers, timeout: opts.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    if (payload) req.end(payload);
    else if (opts.raw) (opts.raw as Readable).pipe(req);
    else req.end();
  });
}

/** Splits Docker's multiplexed stream into stdout and stderr text. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  let out = '';
  let err = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const n = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + n).toString();
    if (buf[i] === 2) err += payload;
    else out += payload;
    i += 8 + n;
  }
  return { stdout: out, stderr: err };
}
