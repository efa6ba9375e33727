// The authorization hook of the API server: who is calling (a TLS client certificate, a
// unix peer's credentials), what they ask for (with the body the handler will read), and
// the response on its way out. The decisions are made elsewhere (authz/, wired by daemon/).
import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Answered, Asked, Caller, UnixPeer } from '../common/authz-shapes.ts';

export type { UnixPeer } from '../common/authz-shapes.ts';
export type Subject = Caller;
export type AuthzRequest = Asked;
export type AuthzOutcome = Answered;

export interface Authorizer {
  /** Before any work: throws (forbidden, or internal for a failing plugin) to deny. */
  request(r: AuthzRequest): Promise<void>;
  /** After the handler: throwing replaces a buffered response with the error. */
  response(r: AuthzRequest, out: AuthzOutcome): Promise<void>;
}

const peers = new WeakMap<Socket, UnixPeer>();

/** Records a unix connection's peer (read once, when it is accepted). */
export function setUnixPeer(socket: Socket, peer: UnixPeer): void {
  peers.set(socket, peer);
}

export function subjectOf(req: IncomingMessage): Subject {
  const socket = req.socket as Socket & Partial<TLSSocket>;
  const s: Subject = { certs: [] };
  const unix = peers.get(socket);
  if (unix) s.unix = unix;
  if (socket.encrypted && typeof socket.getPeerCertificate === 'function') {
    let c = socket.getPeerCertificate(true);
    if (c?.raw) {
      s.cn = Array.isArray(c.subject?.CN) ? c.subject.CN[0] : c.subject?.CN;
      const seen = new Set<string>();
      while (c?.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        s.certs.push(c.raw);
        c = c.issuerCertificate;
      }
    }
  }
  return s;
}

/**
 * Holds a response back until the handler ends it, so the authorizer can see it whole and
 * still refuse it; a response without Content-Length is a stream and goes out as written
 * (its end is reported without a body). `done` decides: an error replaces a held response.
 */
export function holdResponse(
  res: ServerResponse,
  done: (out: AuthzOutcome, held: boolean) => Promise<Error | undefined>,
  onReplace: (err: Error) => void,
): void {
  const orig = { writeHead: res.writeHead, write: res.write, end: res.end };
  let status = 200;
  let headers: OutgoingHttpHeaders = {};
  let streaming = false;
  let headed = false;
  const chunks: Buffer[] = [];
  const toBuf = (c: unknown, enc?: unknown) =>
    Buffer.isBuffer(c) ? c : Buffer.from(c as string, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8');
  const flatHeaders = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...res.getHeaders(), ...headers }))
      if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
    return out;
  };
  const startStreaming = () => {
    streaming = true;
    res.writeHead = orig.writeHead;
    res.write = orig.write;
    res.end = orig.end;
    if (headed) orig.writeHead.call(res, status, headers);
  };
  res.writeHead = function (this: ServerResponse, code: number, ...rest: unknown[]) {
    status = code;
    const h = rest.find((x) => typeof x === 'object' && x !== null) as OutgoingHttpHeaders | string[] | undefined;
    headers = Array.isArray(h) ? Object.fromEntries(pairs(h)) : { ...h };
    headed = true;
    const hasLength =
      Object.keys(headers).some((k) => k.toLowerCase() === 'content-length') || res.hasHeader('content-length');
    if (!hasLength && code !== 204 && code !== 304) startStreaming();
    return this;
  } as typeof res.writeHead;
  res.write = function (this: ServerResponse, chunk: unknown, enc?: unknown, cb?: unknown) {
    // Written before any head: a stream that set its headers one by one.
    if (!headed) {
      startStreaming();
      return orig.write.call(res, chunk as never, enc as never, cb as never);
    }
    chunks.push(toBuf(chunk, enc));
    if (typeof enc === 'function') (enc as () => void)();
    else if (typeof cb === 'function') (cb as () => void)();
    return true;
  } as typeof res.write;
  res.end = function (this: ServerResponse, chunk?: unknown, enc?: unknown) {
    if (chunk !== undefined && typeof chunk !== 'function') chunks.push(toBuf(chunk, enc));
    res.writeHead = orig.writeHead;
    res.write = orig.write;
    res.end = orig.end;
    if (!headed) status = res.statusCode;
    const body = Buffer.concat(chunks);
    void done({ status, headers: flatHeaders(), body }, true).then((err) => {
      if (err) return onReplace(err);
      orig.writeHead.call(res, status, headers);
      (orig.end as (b: Buffer) => ServerResponse).call(res, body);
    });
    return this;
  } as typeof res.end;
  res.once('finish', () => {
    if (streaming) void done({ status, headers: flatHeaders() }, false);
  });
}

function pairs(a: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i], a[i + 1]]);
  return out;
}
