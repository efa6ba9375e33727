// ADD <url>: the body goes to a file under <data-root>/build/tmp (never into memory),
// hashed on the way. Only http(s), redirects followed by hand (at most 10; never to
// another scheme, nor from a public host to a loopback or link-local one: a Dockerfile
// must not reach berthd's own endpoints), a size cap, and a stall timeout.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../../common/errors.ts';
import type { Downloaded } from '../../builder/exec/ports.ts';

const MAX_REDIRECTS = 10;
const STALL_MS = 60_000;

/** Loopback, link-local, unspecified: addresses a build must not be redirected onto. */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return /^(127\.|169\.254\.|0\.)/.test(h);
  if (isIP(h) === 6) return h === '::1' || h === '::' || h.startsWith('fe80:');
  return false;
}

function checkScheme(u: URL, original: string): void {
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw invalidArgument(`ADD ${original}: unsupported URL scheme ${JSON.stringify(u.protocol)}`);
}

export async function downloadUrl(
  url: string,
  dir: string,
  limit: number,
  signal: AbortSignal,
  stallMs = STALL_MS,
): Promise<Downloaded> {
  let u = new URL(url);
  checkScheme(u, url);
  const startedLocal = isLocalHost(u.hostname);
  let res: Response | undefined;
  for (let hop = 0; ; hop++) {
    res = await fetch(u, { signal, redirect: 'manual' });
    if (res.status < 300 || res.status >= 400 || !res.headers.get('location')) break;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw invalidArgument(`ADD ${url}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(res.headers.get('location')!, u);
    checkScheme(next, url);
    if (!startedLocal && isLocalHost(next.hostname))
      throw invalidArgument(`ADD ${url}: refusing a redirect to ${next.host}`);
    u = next;
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw invalidArgument(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body.cancel();
    throw invalidArgument(`ADD ${url}: ${declared} bytes is more than the ${limit} bytes of space the build may use`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `dl-${randomBytes(8).toString('hex')}`);
  const sha = createHash('sha256');
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const stall = new AbortController();
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  arm();
  try {
    await pipeline(
      Readable.fromWeb(res.body as never),
      new Transform({
        transform(c: Buffer, _enc, cb) {
          arm();
          size += c.length;
          if (size > limit) {
            cb(invalidArgument(`ADD ${url}: more than the ${limit} bytes of space the build may use`));
            return;
          }
          sha.update(c);
          cb(null, c);
        },
      }),
      createWriteStream(path, { mode: 0o600 }),
      { signal: AbortSignal.any([signal, stall.signal]) },
    );
  } catch (err) {
    await rm(path, { force: true });
    if (stall.signal.aborted && !signal.aborted) throw invalidArgument(`ADD ${url}: no data for ${stallMs / 1000} s`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    size,
    sha256: sha.digest('hex'),
    lastModified: res.headers.get('last-modified') ?? undefined,
    open: () => createReadStream(path, { highWaterMark: 1 << 20 }),
    release: () => rm(path, { force: true }),
  };
}
