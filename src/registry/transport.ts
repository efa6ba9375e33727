// One HTTP exchange with a registry: TLS settings per host, redirects followed for reads
// (credentials dropped when the host changes: blob storage must never see them), a timeout
// until the response headers arrive, and the caller's AbortSignal.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { invalidArgument, unavailable } from '../common/errors.ts';

export interface TlsSettings {
  /** PEM CA bundles added to the system roots (certs.d). */
  ca?: string[];
  /** Accept any certificate (insecure-registries). */
  skipVerify?: boolean;
  cert?: string;
  key?: string;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
  tls?: TlsSettings;
  /** Follow 3xx (GET/HEAD); default true. */
  follow?: boolean;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  url: string;
  body: http.IncomingMessage;
}

const MAX_REDIRECTS = 8;
const agents = new Map<string, https.Agent>();
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function agentFor(tls: TlsSettings | undefined): https.Agent {
  const key = JSON.stringify(tls ?? {});
  let a = agents.get(key);
  if (!a) {
    a = new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      // A private CA is added to the bundled roots, not instead of them.
      ca: tls?.ca?.length ? [...rootCertificates, ...tls.ca] : undefined,
      rejectUnauthorized: !tls?.skipVerify,
      cert: tls?.cert,
      key: tls?.key,
    });
    agents.set(key, a);
  }
  return a;
}

export async function send(req: HttpRequest): Promise<HttpResponse> {
  let url = new URL(req.url);
  let headers = { ...req.headers };
  for (let hop = 0; ; hop++) {
    const res = await once(req, url, headers);
    const loc = res.headers.location;
    const follow = req.follow !== false && (req.method === 'GET' || req.method === 'HEAD');
    if (!follow || ![301, 302, 303, 307, 308].includes(res.status) || !loc) return res;
    if (hop >= MAX_REDIRECTS) throw unavailable(`too many redirects fetching ${req.url}`);
    res.body.resume();
    const next = new URL(loc, url);
    if (next.host !== url.host || next.protocol !== url.protocol) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    }
    url = next;
  }
}

function once(req: HttpRequest, url: URL, headers: Record<string, string>): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const opts: http.RequestOptions = {
      method: req.method,
      headers: { 'User-Agent': 'berth/1', ...headers },
      agent: isHttps ? agentFor(req.tls) : httpAgent,
      signal: req.signal,
    };
    const r = (isHttps ? https : http).request(url, opts, (res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url: url.toString(), body: res });
    });
    const timer = setTimeout(() => r.destroy(unavailable(`timeout waiting for ${url.host}`)), req.timeoutMs ?? 30_000);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(
        req.signal?.aborted
          ? err
          : unavailable(`${req.method} ${url.origin}${url.pathname}: ${(err as Error).message}`, err),
      );
    });
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else req.body.pipe(r);
  });
}

/** Reads a small response body, refusing more than `max` bytes. */
export async function readLimited(body: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw invalidArgument(`${what} exceeds the ${max}-byte limit`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
