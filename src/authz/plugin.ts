// Docker's authorization plugin protocol (v1 plugins): discovery in /run/docker/plugins
// (<name>.sock) and /etc/docker/plugins, /usr/lib/docker/plugins (<name>.spec with an
// address, <name>.json with an address and TLS files), the Plugin.Activate handshake, then
// AuthZPlugin.AuthZReq before a request and AuthZPlugin.AuthZRes after it, with the
// bodies in moby's JSON shapes. Every failure to get an answer denies (fail closed).
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { forbidden, internal, invalidArgument, messageOf, notFound } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import type { Answered, Asked } from './types.ts';

const SOCKETS_DIR = '/run/docker/plugins';
const SPECS_DIRS = ['/etc/docker/plugins', '/usr/lib/docker/plugins'];
const MIME = 'application/vnd.docker.plugins.v1.2+json';
/** moby's pkg/authorization maxBodySize (after CVE-2024-41110 / CVE-2026-34040). */
export const MAX_AUTHZ_BODY = 4 << 20;
const CALL_TIMEOUT_MS = 30_000;
const CONNECT_RETRY_MS = 5_000;

interface Address {
  /** unix socket path, or http(s) base URL. */
  unix?: string;
  url?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure: boolean };
}

/** Finds a plugin the way dockerd's v1 registry does. */
export function discover(name: string): Address {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid plugin name: ${name}`);
  const isSocket = (p: string) => {
    try {
      return statSync(p).isSocket();
    } catch {
      return false;
    }
  };
  for (const p of [join(SOCKETS_DIR, `${name}.sock`), join(SOCKETS_DIR, name, `${name}.sock`)])
    if (isSocket(p)) return { unix: p };
  for (const dir of SPECS_DIRS) {
    for (const p of [join(dir, `${name}.spec`), join(dir, name, `${name}.spec`)]) {
      const text = readIfExists(p);
      if (text !== undefined) return fromAddr(text.toString().trim(), p);
    }
    for (const p of [join(dir, `${name}.json`), join(dir, name, `${name}.json`)]) {
      const text = readIfExists(p);
      if (text === undefined) continue;
      let spec: unknown;
      try {
        spec = JSON.parse(text.toString());
      } catch (err) {
        throw invalidArgument(`plugin spec ${p}: ${messageOf(err)}`);
      }
      if (!isObject(spec) || typeof spec.Addr !== 'string') throw invalidArgument(`plugin spec ${p}: no Addr`);
      const addr = fromAddr(spec.Addr, p);
      const t = spec.TLSConfig;
      if (isObject(t) && addr.url) {
        const file = (k: string) => (typeof t[k] === 'string' && t[k] ? readFileSync(t[k] as string) : undefined);
        addr.url = addr.url.replace(/^http:/, 'https:');
        addr.tls = {
          ca: file('CAFile'),
          cert: file('CertFile'),
          key: file('KeyFile'),
          insecure: t.InsecureSkipVerify === true || !t.CAFile,
        };
      }
      return addr;
    }
  }
  throw notFound(`could not find plugin ${name} in v1 plugin registry: plugin not found`);
}

function readIfExists(p: string): Buffer | undefined {
  try {
    return readFileSync(p);
  } catch {
    return undefined;
  }
}

function fromAddr(addr: string, where: string): Address {
  if (addr.startsWith('unix://')) return { unix: addr.slice('unix://'.length) };
  if (addr.startsWith('tcp://')) return { url: `http://${addr.slice('tcp://'.length)}` };
  if (addr.startsWith('http://') || addr.startsWith('https://')) return { url: addr };
  throw invalidArgument(`plugin spec ${where}: unknown protocol in ${JSON.stringify(addr)}`);
}

/** One POST to a plugin; connection failures are retried for a few seconds. */
async function call(addr: Address, method: string, payload: unknown, signal?: AbortSignal): Promise<unknown> {
  const body = Buffer.from(JSON.stringify(payload ?? null));
  const deadline = Date.now() + CONNECT_RETRY_MS;
  for (;;) {
    try {
      return await callOnce(addr, method, body, signal);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const retry = code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET';
      if (!retry || Date.now() > deadline || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function callOnce(addr: Address, method: string, body: Buffer, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers = { Accept: MIME, 'Content-Type': MIME, 'Content-Length': String(body.length) };
    const opts: RequestOptions = { method: 'POST', headers, timeout: CALL_TIMEOUT_MS, signal };
    let req;
    if (addr.unix) req = httpRequest({ ...opts, socketPath: addr.unix, path: `/${method}` });
    else {
      const u = new URL(`/${method}`, addr.url);
      const tls = addr.tls;
      req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
        ...opts,
        ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure } : {}),
      });
    }
    req.on('timeout', () => req.destroy(new Error(`timed out after ${CALL_TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > 16 << 20) req.destroy(new Error('answer larger than 16 MiB'));
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text.trim() ? JSON.parse(text) : {};
        } catch {
          json = undefined;
        }
        if (res.statusCode !== 200) {
          const err =
            isObject(json) && typeof json.Err === 'string' && json.Err
              ? json.Err
              : text.trim() || `status ${res.statusCode}`;
          return reject(new Error(`${method}: ${err}`));
        }
        if (json === undefined) return reject(new Error(`${method}: the answer is not JSON`));
        resolve(json);
      });
    });
    req.end(body);
  });
}

/** Go's http.CanonicalHeaderKey: "content-type" → "Content-Type". */
function canonical(k: string): string {
  return k.toLowerCase().replace(/(^|-)([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase());
}

const SECRET_HEADERS = new Set(['authorization', 'x-registry-config', 'x-registry-auth']);

function headerMap(raw: string[] | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Array.isArray(raw)
    ? Array.from({ length: raw.length >> 1 }, (_v, i) => [raw[2 * i], raw[2 * i + 1]] as const)
    : Object.entries(raw);
  for (const [k, v] of entries) if (!SECRET_HEADERS.has(k.toLowerCase())) out[canonical(k)] = v;
  return out;
}

/** moby's sendBody: JSON bodies only, never /auth's (it carries a password). */
function sendsBody(path: string, contentType: string | undefined): boolean {
  if (/^\/auth/.test(path)) return false;
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}

function contentTypeOf(raw: string[] | Record<string, string>): string | undefined {
  const h = headerMap(raw);
  return h['Content-Type'];
}

const pem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

export class AuthzPlugin {
  readonly name: string;
  private addr: Address | undefined;
  private activated: Promise<void> | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** Finds the plugin and checks that it implements "authz" (dockerd does this lazily). */
  activate(): Promise<void> {
    this.activated ??= (async () => {
      this.addr = discover(this.name);
      const m = await call(this.addr, 'Plugin.Activate', null);
      const impl = isObject(m) && Array.isArray(m.Implements) ? (m.Implements as unknown[]) : [];
      if (!impl.includes('authz')) throw invalidArgument(`plugin ${this.name} does not implement authz`);
    })().catch((err) => {
      this.activated = undefined; // the next request tries again
      throw err;
    });
    return this.activated;
  }

  /** The request as moby's authorization.Request; the body only when JSON (and not /auth). */
  requestDoc(a: Asked): Record<string, unknown> {
    const doc: Record<string, unknown> = {};
    if (a.subject.cn) {
      doc.User = a.subject.cn;
      doc.UserAuthNMethod = 'TLS';
    }
    doc.RequestMethod = a.method;
    doc.RequestUri = a.uri;
    if (a.body?.length && sendsBody(a.path, contentTypeOf(a.rawHeaders))) doc.RequestBody = a.body.toString('base64');
    const h = headerMap(a.rawHeaders);
    if (Object.keys(h).length) doc.RequestHeaders = h;
    if (a.subject.certs.length)
      doc.RequestPeerCertificates = a.subject.certs.map((c) => Buffer.from(pem(c)).toString('base64'));
    return doc;
  }

  async authorizeRequest(a: Asked): Promise<void> {
    if (a.body && a.body.length > MAX_AUTHZ_BODY && sendsBody(a.path, contentTypeOf(a.rawHeaders)))
      throw forbidden(`request body too large for authorization plugin: size exceeds ${MAX_AUTHZ_BODY} bytes`);
    await this.ask('AuthZPlugin.AuthZReq', this.requestDoc(a));
  }

  async authorizeResponse(a: Asked, out: Answered): Promise<void> {
    const doc = this.requestDoc(a);
    doc.ResponseStatusCode = out.status;
    const h = headerMap(out.headers);
    if (Object.keys(h).length) doc.ResponseHeaders = h;
    if (out.body?.length && out.body.length <= MAX_AUTHZ_BODY && sendsBody(a.path, h['Content-Type']))
      doc.ResponseBody = out.body.toString('base64');
    await this.ask('AuthZPlugin.AuthZRes', doc);
  }

  private async ask(method: string, doc: Record<string, unknown>): Promise<void> {
    let res: unknown;
    try {
      await this.activate();
      res = await call(this.addr!, method, doc);
    } catch (err) {
      throw internal(`plugin ${this.name} failed with error: ${messageOf(err)}`, err);
    }
    if (!isObject(res) || res.Allow !== true) {
      const msg = isObject(res) && typeof res.Msg === 'string' ? res.Msg : '';
      throw forbidden(`authorization denied by plugin ${this.name}: ${msg}`);
    }
  }
}
