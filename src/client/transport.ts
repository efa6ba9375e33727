// HTTP transport to the Engine API: unix socket or tcp://, JSON helpers, one error shape.
// Speaks HTTP/1.1 itself over node:net (see http1.ts): node:http alone costs more
// start-up time than the rest of a `berth run`.

import type { ResponseStream } from './http1.ts';

export type { ResponseStream } from './http1.ts';

import { API_VERSION } from '../common/api-version.ts';
import { parseHost, type ClientTls, type Endpoint } from './endpoint.ts';

export { API_VERSION } from '../common/api-version.ts';
export { DEFAULT_HOST, parseHost, resolveHost, type ClientTls, type Endpoint } from './endpoint.ts';

/** A non-2xx answer from the daemon; `message` is the daemon's own `{"message": …}`. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all. */
export class ConnectError extends Error {
  readonly host: string;
  constructor(host: string, cause: unknown) {
    super(`Cannot connect to the Berth daemon at ${host}. Is the berth daemon running?`, { cause });
    this.host = host;
    this.name = 'ConnectError';
  }
}

export type QueryValue = string | number | boolean | undefined | null | string[] | Record<string, unknown>;
export type Query = Record<string, QueryValue>;

export function buildQuery(query?: Query): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === false) continue;
    let s: string;
    if (v === true) s = '1';
    else if (typeof v === 'object') {
      if (Array.isArray(v)) {
        for (const item of v) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(item)}`);
        continue;
      }
      s = JSON.stringify(v);
    } else s = String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export interface RequestOptions {
  query?: Query;
  /** JSON-serialised unless it is a Buffer or a readable stream. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Transport {
  readonly host: string;
  readonly endpoint: Endpoint;
  /** Full path including the version prefix for `path` (which starts with '/'). */
  apiPath(path: string, query?: Query): string;
  /** Raw request; resolves with the response once headers arrive, throws ApiError for non-2xx. */
  request(method: string, path: string, opts?: RequestOptions): Promise<ResponseStream>;
  /** Request and parse a JSON body (undefined for an empty body). */
  json<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /** Request and return the whole raw body. */
  raw(method: string, path: string, opts?: RequestOptions): Promise<Buffer>;
  close(): void;
}

export async function readBody(res: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

/** The message of an error body: `{"message": …}` when JSON, else the trimmed text. */
export function errorMessage(status: number, body: Buffer): string {
  const text = body.toString('utf8').trim();
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as { message?: unknown };
      if (typeof obj.message === 'string') return obj.message;
    } catch {
      // fall through to the raw text
    }
  }
  return text || `${status} ${statusText(status)}`;
}

function statusText(status: number): string {
  const t: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    409: 'Conflict',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    503: 'Service Unavailable',
  };
  return t[status] ?? '';
}

export function isStream(x: unknown): x is NodeJS.ReadableStream {
  return typeof x === 'object' && x !== null && typeof (x as { pipe?: unknown }).pipe === 'function';
}

export async function createTransport(host: string, tls?: ClientTls): Promise<Transport> {
  const { request: send } = await import('./http1.ts');
  const endpoint = parseHost(host, tls);
  const apiPath = (path: string, query?: Query) => `/v${API_VERSION}${path}${buildQuery(query)}`;

  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<ResponseStream> => {
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Buffer | NodeJS.ReadableStream | undefined;
    const body = opts.body;
    if (body !== undefined) {
      if (isStream(body)) payload = body;
      else if (Buffer.isBuffer(body)) payload = body;
      else {
        payload = Buffer.from(JSON.stringify(body));
        headers['Content-Type'] ??= 'application/json';
      }
    }
    let res: ResponseStream;
    try {
      res = await send(endpoint, {
        method,
        path: apiPath(path, opts.query),
        headers,
        body: payload,
        signal: opts.signal,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ENOTDIR')
        throw new ConnectError(host, err);
      throw err;
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) return res;
    throw new ApiError(status, errorMessage(status, await readBody(res)));
  };

  return {
    host,
    endpoint,
    apiPath,
    request,
    async json<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
      const b = await readBody(await request(method, path, opts));
      if (b.length === 0) return undefined as T;
      return JSON.parse(b.toString('utf8')) as T;
    },
    async raw(method: string, path: string, opts?: RequestOptions): Promise<Buffer> {
      return readBody(await request(method, path, opts));
    },
    close() {
      // one connection per request: nothing pooled
    },
  };
}
