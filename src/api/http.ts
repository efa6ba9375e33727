// Request helpers: bounded JSON bodies, Docker's boolean and filter query conventions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument, messageOf } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';
import { decodeJson, type GoType } from './decode/go-json.ts';
import type { ProgressMessage } from './types/progress.ts';

export const MAX_JSON_BODY = 4 << 20;

export async function readBody(req: IncomingMessage, max = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw invalidArgument(`request body is larger than ${max} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * dockerd's CheckForJSON for endpoints that take a JSON body: a Content-Type other than
 * application/json is refused (none at all is tolerated, as older clients send none).
 */
export function checkForJson(req: IncomingMessage): void {
  const ct = req.headers['content-type'];
  if (ct === undefined || ct === '') return;
  const media = ct.split(';')[0].trim().toLowerCase();
  if (media !== 'application/json') throw invalidArgument(`Content-Type specified (${ct}) must be 'application/json'`);
}

/** A JSON body decoded into its Go type as dockerd does (an empty body is the zero value). */
export async function readJson<T>(req: IncomingMessage, type: GoType<T>): Promise<T> {
  return decodeJson(type, (await readBody(req)).toString('utf8'));
}

/** A header holding base64 (standard or URL-safe) JSON; undefined when absent. */
export function decodeBase64Json(header: string | string[] | undefined, name: string): unknown {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  try {
    return JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    throw invalidArgument(`invalid ${name} header: not base64-encoded JSON`);
  }
}

/**
 * Docker's JSON progress stream: 200 goes with the first message, so an error before it
 * is a real HTTP error; later ones go in-band as errorDetail (with a numeric code, such
 * as a failed RUN's exit status, when the error has one).
 */
export async function streamProgress(
  res: ServerResponse,
  work: (emit: (msg: ProgressMessage) => void) => Promise<unknown>,
  /** Errors in-band even before the first message (dockerd's /images/load always answers 200). */
  opts: { alwaysInBand?: boolean } = {},
): Promise<void> {
  let started = false;
  const emit = (msg: ProgressMessage) => {
    if (!started) {
      started = true;
      res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    if (!res.destroyed) res.write(JSON.stringify(msg) + '\r\n');
  };
  try {
    await work(emit);
  } catch (err) {
    if (!started && !opts.alwaysInBand) throw err;
    if (!started) {
      started = true;
      res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    const message = messageOf(err);
    const code = (err as { code?: unknown }).code;
    const msg: ProgressMessage = {
      errorDetail: typeof code === 'number' ? { code, message } : { message },
      error: message,
    };
    if (!res.destroyed) res.write(JSON.stringify(msg) + '\r\n');
  }
  if (!started) res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end();
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204).end();
}

export class Query {
  private readonly p: URLSearchParams;
  constructor(p: URLSearchParams) {
    this.p = p;
  }

  str(name: string): string | undefined {
    return this.p.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.p.getAll(name);
  }

  has(name: string): boolean {
    return this.p.has(name);
  }

  /** Docker's boolean: absent, "", "0", "false", "no" are false. */
  bool(name: string, dflt = false): boolean {
    const v = this.p.get(name);
    if (v === null) return dflt;
    return !['', '0', 'false', 'no', 'False', 'FALSE'].includes(v);
  }

  int(name: string, dflt?: number): number | undefined {
    const v = this.p.get(name);
    if (v === null || v === '') return dflt;
    if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}`);
    return Number(v);
  }

  /** `filters` as Docker sends it: {"key":{"value":true}} or the older {"key":["value"]}. */
  filters(): Map<string, string[]> {
    const raw = this.p.get('filters');
    const out = new Map<string, string[]>();
    if (!raw) return out;
    const v = parseJsonSafe(raw, 'filters');
    if (!isObject(v)) throw invalidArgument('invalid filter: expected a JSON object');
    for (const [k, vals] of Object.entries(v)) {
      if (Array.isArray(vals)) out.set(k, vals.map(String));
      else if (isObject(vals))
        out.set(
          k,
          Object.keys(vals).filter((x) => vals[x]),
        );
      else throw invalidArgument(`invalid filter '${k}'`);
    }
    return out;
  }
}

/** Rejects filter keys a resource does not support, with Docker's message. */
export function checkFilterKeys(filters: Map<string, string[]>, allowed: readonly string[]): void {
  for (const k of filters.keys()) if (!allowed.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
}
