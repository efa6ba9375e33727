// Bounds on request bodies, per endpoint. A body is either buffered before its handler
// runs (JSON and other small bodies: a size cap and a deadline for the whole body, so the
// authorization layer and the handler see exactly the same bytes) or streamed to its
// handler (archives: a size cap and an idle timeout). A body that never ends holds
// nothing for longer than these bounds.
import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { invalidArgument } from '../common/errors.ts';
import { MAX_JSON_BODY } from './http.ts';

export interface BodyLimits {
  /** A buffered body must be complete within this time of its headers. */
  bufferedDeadlineMs: number;
  /** A streamed body may pause this long between two chunks. */
  streamIdleMs: number;
  /** Largest streamed body (archives); asked per request (e.g. the data root's free space). */
  streamMax(): number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  bufferedDeadlineMs: 60_000,
  streamIdleMs: 60_000,
  streamMax: () => Number.MAX_SAFE_INTEGER,
};

export type BodyClass = { kind: 'buffer'; max: number } | { kind: 'stream' };

/** Endpoints whose bodies are archives or contexts, streamed to the handler. */
const STREAMED: [string, RegExp][] = [
  ['POST', /^\/build$/],
  ['POST', /^\/images\/create$/],
  ['POST', /^\/images\/load$/],
  ['PUT', /^\/containers\/[^/]+\/archive$/],
];

/** Larger buffered bodies than the JSON default. */
const LARGE: [string, RegExp, number][] = [['POST', /^\/build\/context$/, 256 << 20]];

export function bodyClass(method: string, path: string): BodyClass {
  if (STREAMED.some(([m, re]) => m === method && re.test(path))) return { kind: 'stream' };
  const large = LARGE.find(([m, re]) => m === method && re.test(path));
  return { kind: 'buffer', max: large ? large[2] : MAX_JSON_BODY };
}

/** True when the request carries a body at all (Content-Length > 0 or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = Number(req.headers['content-length'] ?? 0);
  return cl > 0;
}

/**
 * Reads the whole body within `deadlineMs` and at most `max` bytes. On either bound the
 * connection is destroyed (the client is still sending: no answer can be framed).
 */
export function bufferBody(req: IncomingMessage, max: number, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const fail = (err: Error) => {
      cleanup();
      req.socket?.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(invalidArgument(`request body not received within ${Math.round(deadlineMs / 1000)}s`)),
      deadlineMs,
    );
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > max) return fail(invalidArgument(`request body is larger than ${max} bytes`));
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => fail(err);
    const onClose = () => {
      if (!req.complete) fail(invalidArgument('request body ended early'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** A stand-in for the request whose body is `body`: what handlers read, and nothing else. */
export function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  return requestLike(req, Readable.from(body.length ? [body] : [], { objectMode: false }));
}

/**
 * The request's body through a guard: an error when more than `max` bytes arrive or
 * none for `idleMs`; then the connection goes (the rest of the body cannot be skipped).
 */
export function guardStream(req: IncomingMessage, max: number, idleMs: number): IncomingMessage {
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      guard.destroy(invalidArgument(`request body stalled for ${Math.round(idleMs / 1000)}s`));
      req.socket?.destroy();
    }, idleMs);
  };
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > max) {
        clearTimeout(timer);
        req.socket?.destroy();
        return cb(invalidArgument(`request body is larger than ${max} bytes`));
      }
      arm();
      cb(null, chunk);
    },
    flush(cb) {
      clearTimeout(timer);
      cb();
    },
  });
  guard.on('close', () => clearTimeout(timer));
  // Its reader sees the error (reads reject, pipelines fail); a reader that already gave
  // up must not turn a late one into an uncaught exception.
  guard.on('error', () => {});
  arm();
  req.on('error', (err) => guard.destroy(err));
  req.on('close', () => {
    if (!req.complete) guard.destroy(invalidArgument('request body ended early'));
  });
  req.pipe(guard);
  return requestLike(req, guard);
}

function requestLike(req: IncomingMessage, body: Readable): IncomingMessage {
  const r = body as unknown as IncomingMessage & Record<string, unknown>;
  for (const k of ['headers', 'rawHeaders', 'method', 'url', 'httpVersion', 'socket'] as const)
    Object.defineProperty(r, k, { value: req[k], enumerable: true });
  Object.defineProperty(r, 'complete', { get: () => req.complete });
  return r;
}
