// A client for one registry host (OCI distribution spec). Every request goes through
// call(): cached auth for its scopes, one re-try after a 401 challenge, retries with
// backoff on 5xx and broken connections for requests that can be replayed.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { forbidden, invalidArgument, notFound, unauthorized, unavailable } from '../common/errors.ts';
import { sha256, type Digest } from '../common/digest.ts';
import { Authorizer, type Credentials } from './auth.ts';
import { readLimited, send, type HttpResponse, type TlsSettings } from './transport.ts';
import { ACCEPT, MAX_MANIFEST_BYTES } from './manifest.ts';

export interface Endpoint {
  /** https://host:port or http://host:port */
  base: string;
  /** The name users know it by (docker.io, 127.0.0.1:5000). */
  name: string;
  tls?: TlsSettings;
  /** A mirror: pulls only, and failures fall through to the next endpoint. */
  mirror?: boolean;
}

export interface FetchedManifest {
  bytes: Buffer;
  digest: Digest;
  contentType?: string;
}

export interface CallOptions {
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
  /** Statuses handed back to the caller instead of thrown. */
  ok?: number[];
  retries?: number;
  follow?: boolean;
}

const RETRY_DELAYS_MS = [200, 500, 1000, 2000];
const WRITE_BATCH = 1 << 20;

/**
 * Writes a download's chunks in 1 MiB batches with one write in flight while the next
 * batch arrives: a write per 64 KiB socket chunk costs more than the copy itself.
 * `onWritten` reports bytes on file (a follower reads the file up to there).
 */
class BatchedWriter {
  private readonly fh: FileHandle;
  private readonly onWritten?: (n: number) => void;
  private pos: number;
  private batch: Buffer[] = [];
  private batched = 0;
  private inflight: Promise<void> = Promise.resolve();

  constructor(fh: FileHandle, at: number, onWritten?: (n: number) => void) {
    this.fh = fh;
    this.pos = at;
    this.onWritten = onWritten;
  }

  async add(c: Buffer): Promise<void> {
    this.batch.push(c);
    this.batched += c.length;
    if (this.batched >= WRITE_BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    await this.inflight;
    if (!this.batched) return;
    const bufs = this.batch;
    const at = this.pos;
    const end = at + this.batched;
    this.batch = [];
    this.batched = 0;
    this.pos = end;
    this.inflight = (async () => {
      for (let off = at, i = 0; i < bufs.length; ) {
        const { bytesWritten } = await this.fh.writev(bufs.slice(i), off);
        off += bytesWritten;
        // Short write: drop what went out and carry on with the rest.
        let n = bytesWritten;
        while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
        if (n > 0) bufs[i] = bufs[i].subarray(n);
      }
      this.onWritten?.(end);
    })();
    this.inflight.catch(() => {}); // awaited by the next flush or drain
  }

  /** Writes what is left and waits for it; throws the first write error. */
  async drain(): Promise<void> {
    await this.flush();
    await this.inflight;
  }
}

export class RegistryClient {
  readonly endpoint: Endpoint;
  private readonly auth: Authorizer;

  constructor(endpoint: Endpoint, creds?: Credentials) {
    this.endpoint = endpoint;
    this.auth = new Authorizer(creds, endpoint.tls);
  }

  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : this.endpoint.base + path;
  }

  async call(method: string, path: string, o: CallOptions): Promise<HttpResponse> {
    const retries = o.retries ?? (o.body === undefined || Buffer.isBuffer(o.body) ? RETRY_DELAYS_MS.length : 0);
    let authTried = false;
    for (let attempt = 0; ; attempt++) {
      o.signal?.throwIfAborted();
      const headers: Record<string, string> = { ...o.headers };
      // Credentials only go to the registry itself (upload locations may point elsewhere).
      const sameHost = new URL(this.url(path)).host === new URL(this.endpoint.base).host;
      const authz = sameHost ? this.auth.cached(o.scopes) : undefined;
      if (authz) headers.Authorization = authz;
      let res: HttpResponse;
      try {
        const body = typeof o.body === 'function' ? o.body() : o.body;
        res = await send({
          method,
          url: this.url(path),
          headers,
          body,
          signal: o.signal,
          tls: this.endpoint.tls,
          follow: o.follow,
        });
      } catch (err) {
        if (o.signal?.aborted || attempt >= retries) throw err;
        await sleep(RETRY_DELAYS_MS[attempt], undefined, { signal: o.signal });
        continue;
      }
      if (res.status === 401 && sameHost && !authTried) {
        res.body.resume();
        authTried = true;
        await this.auth.authorize(res.headers['www-authenticate'], o.scopes, o.signal);
        attempt--; // the auth round trip is not a retry
        continue;
      }
      if (res.status >= 500 && attempt < retries && !(o.ok ?? []).includes(res.status)) {
        res.body.resume();
        await sleep(RETRY_DELAYS_MS[attempt], undefined, { signal: o.signal });
        continue;
      }
      if ((o.ok ?? [200]).includes(res.status)) return res;
      throw await this.errorOf(res, method, path);
    }
  }

  private async errorOf(res: HttpResponse, method: string, path: string): Promise<Error> {
    let detail = '';
    try {
      const text = (await readLimited(res.body, 64 << 10, 'error body')).toString();
      const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      // Docker's rendering of a distribution error code: MANIFEST_UNKNOWN → "manifest unknown".
      detail =
        j.errors
          ?.map((e) => `${(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`.replace(/^: /, ''))
          .join('; ') ?? text;
    } catch {
      /* not JSON */
    }
    const where = `${this.endpoint.name}`;
    switch (res.status) {
      case 401:
        return unauthorized(`unauthorized: authentication required${detail ? ` (${detail})` : ''}`);
      case 403:
        return forbidden(`denied: requested access to the resource is denied${detail ? ` (${detail})` : ''}`);
      case 404:
        return notFound(detail || `${method} ${path}: not found`);
      default:
        return res.status >= 500
          ? unavailable(`received unexpected HTTP status: ${res.status} from ${where}${detail ? `: ${detail}` : ''}`)
          : invalidArgument(`${where} answered ${res.status} to ${method} ${path}${detail ? `: ${detail}` : ''}`);
    }
  }

  /** GET /v2/: reachability and (with credentials) a login check. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.call('GET', '/v2/', { scopes: [], signal });
    res.body.resume();
  }

  /** Fetches and verifies a manifest (digest of the raw bytes; size capped). */
  async getManifest(
    repo: string,
    reference: string,
    signal?: AbortSignal,
    expectSize?: number,
  ): Promise<FetchedManifest> {
    const res = await this.call('GET', `/v2/${repo}/manifests/${reference}`, {
      scopes: [`repository:${repo}:pull`],
      headers: { Accept: ACCEPT },
      signal,
    }).catch((err) => {
      if ((err as { kind?: string }).kind === 'not-found')
        throw notFound(`manifest for ${this.endpoint.name}/${repo}:${reference} not found: manifest unknown`, err);
      throw err;
    });
    const len = Number(res.headers['content-length'] ?? -1);
    if (len > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw invalidArgument(`manifest ${reference} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    const bytes = await readLimited(res.body, MAX_MANIFEST_BYTES, `manifest ${reference}`);
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw invalidArgument(`manifest verification failed for digest ${reference}: got ${digest}`);
    const claimed = res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest) {
      throw invalidArgument(`manifest digest mismatch: registry says ${claimed}, content is ${digest}`);
    }
    if (expectSize !== undefined && bytes.length !== expectSize)
      throw invalidArgument(`manifest ${reference}: size ${bytes.length}, expected ${expectSize}`);
    return { bytes, digest, contentType: res.headers['content-type'] };
  }

  /** A small blob (a config), verified. */
  async getBlobBytes(repo: string, digest: Digest, size: number, max: number, signal?: AbortSignal): Promise<Buffer> {
    if (size > max) throw invalidArgument(`blob ${digest} is larger than ${max} bytes`);
    const res = await this.call('GET', `/v2/${repo}/blobs/${digest}`, { scopes: [`repository:${repo}:pull`], signal });
    const bytes = await readLimited(res.body, size, `blob ${digest}`);
    if (bytes.length !== size) throw invalidArgument(`blob ${digest}: got ${bytes.length} bytes, expected ${size}`);
    if (sha256(bytes) !== digest) throw invalidArgument(`digest mismatch for blob ${digest}: got ${sha256(bytes)}`);
    return bytes;
  }

  /**
   * Downloads a blob into `file`, verifying size and digest on the raw bytes. A broken
   * connection resumes with Range when the server allows (206), else starts over.
   */
  async downloadBlob(
    repo: string,
    digest: Digest,
    size: number,
    file: string,
    o: { signal?: AbortSignal; onProgress?: (n: number) => void } = {},
  ): Promise<void> {
    const fh = await open(file, 'w', 0o600);
    try {
      let hash = createHash('sha256');
      let have = 0;
      for (let attempt = 0; ; attempt++) {
        try {
          const headers: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
          const res = await this.call('GET', `/v2/${repo}/blobs/${digest}`, {
            scopes: [`repository:${repo}:pull`],
            headers,
            signal: o.signal,
            ok: [200, 206],
          });
          if (have > 0 && res.status === 200) {
            hash = createHash('sha256');
            have = 0;
            await fh.truncate(0);
          }
          const out = new BatchedWriter(fh, have, o.onProgress);
          try {
            for await (const c of res.body as AsyncIterable<Buffer>) {
              if (have + c.length > size) {
                res.body.destroy();
                throw invalidArgument(`blob ${digest} is larger than its descriptor's ${size} bytes`);
              }
              hash.update(c);
              have += c.length;
              await out.add(c);
            }
          } finally {
            // What was hashed is on file before a retry resumes from `have`.
            await out.drain();
          }
          if (have !== size) throw unavailable(`connection closed after ${have} of ${size} bytes of ${digest}`);
          break;
        } catch (err) {
          if (
            o.signal?.aborted ||
            (err as { kind?: string }).kind === 'invalid-argument' ||
            attempt >= RETRY_DELAYS_MS.length
          )
            throw err;
          await sleep(RETRY_DELAYS_MS[attempt], undefined, { signal: o.signal });
        }
      }
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw invalidArgument(`digest mismatch for blob ${digest}: downloaded content has ${got}`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** HEAD a blob: its size when present. */
  async blobSize(repo: string, digest: Digest, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.call('HEAD', `/v2/${repo}/blobs/${digest}`, {
      scopes: [`repository:${repo}:pull,push`],
      signal,
      ok: [200, 404],
    });
    res.body.resume();
    return res.status === 200 ? Number(res.headers['content-length'] ?? 0) : undefined;
  }

  /** Cross-repository mount; returns true when mounted, else an upload location to use. */
  async mountBlob(
    repo: string,
    digest: Digest,
    from: string,
    signal?: AbortSignal,
  ): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const res = await this.call('POST', `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, {
      scopes: [`repository:${repo}:pull,push`, `repository:${from}:pull`],
      signal,
      ok: [201, 202],
      body: Buffer.alloc(0),
    });
    res.body.resume();
    if (res.status === 201) return { mounted: true };
    return { mounted: false, location: this.location(res) };
  }

  async startUpload(repo: string, signal?: AbortSignal): Promise<string> {
    const res = await this.call('POST', `/v2/${repo}/blobs/uploads/`, {
      scopes: [`repository:${repo}:pull,push`],
      signal,
      ok: [202],
      body: Buffer.alloc(0),
    });
    res.body.resume();
    return this.location(res);
  }

  private location(res: HttpResponse): string {
    const loc = res.headers.location;
    if (!loc) throw unavailable(`${this.endpoint.name} gave no upload location`);
    return new URL(loc, res.url).toString();
  }

  /**
   * Uploads a file as one blob: monolithic PUT when small or chunked PATCHes of
   * `chunkSize`, then the closing PUT with the digest.
   */
  async upload(
    repo: string,
    location: string,
    file: string,
    digest: Digest,
    size: number,
    o: { signal?: AbortSignal; chunkSize?: number; onProgress?: (n: number) => void } = {},
  ): Promise<void> {
    const scopes = [`repository:${repo}:pull,push`];
    const withDigest = (loc: string) => {
      const u = new URL(loc);
      u.searchParams.set('digest', digest);
      return u.toString();
    };
    const chunk = o.chunkSize ?? 0;
    if (!chunk || size <= chunk) {
      const res = await this.call('PUT', withDigest(location), {
        scopes,
        signal: o.signal,
        ok: [201, 204],
        retries: 0,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body: () => createReadStream(file),
      });
      res.body.resume();
      o.onProgress?.(size);
      return;
    }
    let loc = location;
    for (let off = 0; off < size; off += chunk) {
      const end = Math.min(size, off + chunk) - 1;
      const res = await this.call('PATCH', loc, {
        scopes,
        signal: o.signal,
        ok: [202],
        retries: 0,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(end - off + 1),
          'Content-Range': `${off}-${end}`,
        },
        body: () => createReadStream(file, { start: off, end }),
      });
      res.body.resume();
      loc = this.location(res);
      o.onProgress?.(end + 1);
    }
    const res = await this.call('PUT', withDigest(loc), {
      scopes,
      signal: o.signal,
      ok: [201, 204],
      body: Buffer.alloc(0),
      retries: 0,
    });
    res.body.resume();
  }

  async putManifest(
    repo: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const res = await this.call('PUT', `/v2/${repo}/manifests/${reference}`, {
      scopes: [`repository:${repo}:pull,push`],
      signal,
      ok: [201, 200, 202],
      body: bytes,
      headers: { 'Content-Type': mediaType },
    });
    res.body.resume();
  }

  async catalog(n: number, signal?: AbortSignal): Promise<string[]> {
    const res = await this.call('GET', `/v2/_catalog?n=${n}`, { scopes: ['registry:catalog:*'], signal });
    const j = JSON.parse((await readLimited(res.body, 8 << 20, 'catalog')).toString()) as { repositories?: string[] };
    return j.repositories ?? [];
  }

  /** A repository's tags (GET /v2/<repo>/tags/list), following the registry's pages. */
  async tags(repo: string, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; path && page < 100; page++) {
      const res = await this.call('GET', path, { scopes: [`repository:${repo}:pull`], signal });
      const j = JSON.parse((await readLimited(res.body, 8 << 20, 'tag list')).toString()) as { tags?: unknown };
      if (Array.isArray(j.tags)) out.push(...j.tags.filter((t): t is string => typeof t === 'string'));
      // Link: </v2/<repo>/tags/list?last=x&n=1000>; rel="next" (same host only).
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''))?.[1];
      path = next?.startsWith('/v2/') ? next : undefined;
    }
    return out;
  }

  /** Docker Hub's search API (v1); undefined when the registry does not offer it. */
  async search(term: string, limit: number, signal?: AbortSignal): Promise<unknown[] | undefined> {
    const res = await this.call('GET', `/v1/search?q=${encodeURIComponent(term)}&n=${limit}`, {
      scopes: [],
      signal,
      ok: [200, 404, 405],
      retries: 0,
    });
    if (res.status !== 200) {
      res.body.resume();
      return undefined;
    }
    const j = JSON.parse((await readLimited(res.body, 8 << 20, 'search')).toString()) as { results?: unknown[] };
    return j.results ?? [];
  }
}
