// A small registry of our own for faults the real one will not produce: wrong digests,
// oversized or mistyped manifests, a connection dropped mid-blob (Range resume), a slow
// blob, and the bearer-token flow with its own token server.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface FakeRegistry {
  host: string;
  server: Server;
  manifests: Map<string, { body: Buffer; type: string; digestHeader?: string }>;
  blobs: Map<string, Buffer>;
  /** Blob digests whose first GET is cut after this many bytes. */
  dropOnce: Map<string, number>;
  /** Blob digests served slowly: bytes per 50 ms. */
  slow: Map<string, number>;
  blobGets: Map<string, number>;
  bearer?: { realm: string; tokens: Set<string>; issued: string[] };
  close(): Promise<void>;
}

export async function startFakeRegistry(opts: { bearer?: boolean } = {}): Promise<FakeRegistry> {
  const r = {
    manifests: new Map(),
    blobs: new Map(),
    dropOnce: new Map(),
    slow: new Map(),
    blobGets: new Map(),
  } as unknown as FakeRegistry;
  let tokenServer: Server | undefined;
  if (opts.bearer) {
    const tokens = new Set<string>();
    const issued: string[] = [];
    tokenServer = createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      issued.push(u.searchParams.getAll('scope').join(' '));
      if (req.headers.authorization !== 'Basic ' + Buffer.from('bob:pw').toString('base64')) {
        res.writeHead(401).end();
        return;
      }
      const t = `tok-${tokens.size}`;
      tokens.add(t);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: t, expires_in: 300 }));
    });
    await new Promise<void>((ok) => tokenServer!.listen(0, '127.0.0.1', ok));
    r.bearer = { realm: `http://127.0.0.1:${(tokenServer.address() as { port: number }).port}/token`, tokens, issued };
  }
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (r.bearer) {
      const tok = req.headers.authorization?.replace(/^Bearer /, '');
      if (!tok || !r.bearer.tokens.has(tok)) {
        const repo = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(req.url!)?.[1];
        const scope = repo ? `,scope="repository:${repo}:pull"` : '';
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${r.bearer.realm}",service="fake"${scope}` }).end();
        return;
      }
    }
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    if (m) {
      const e = r.manifests.get(`${m[1]}:${m[2]}`) ?? r.manifests.get(m[2]);
      if (!e) {
        res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, {
        'Content-Type': e.type,
        'Docker-Content-Digest': e.digestHeader ?? sha(e.body),
        'Content-Length': e.body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : e.body);
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]+)$/.exec(url.pathname);
    if (m) {
      const d = m[2];
      const b = r.blobs.get(d);
      if (!b) {
        res.writeHead(404).end();
        return;
      }
      r.blobGets.set(d, (r.blobGets.get(d) ?? 0) + 1);
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      const start = range ? Number(range[1]) : 0;
      const body = b.subarray(start);
      res.writeHead(range ? 206 : 200, {
        'Content-Length': body.length,
        'Content-Type': 'application/octet-stream',
        ...(range ? { 'Content-Range': `bytes ${start}-${b.length - 1}/${b.length}` } : {}),
      });
      const drop = r.dropOnce.get(d);
      if (drop !== undefined) {
        r.dropOnce.delete(d);
        res.write(body.subarray(0, drop), () => res.socket?.destroy());
        return;
      }
      const rate = r.slow.get(d);
      if (rate) {
        let off = 0;
        const t = setInterval(() => {
          if (res.destroyed) {
            clearInterval(t);
            return;
          }
          const c = body.subarray(off, off + rate);
          off += c.length;
          if (off >= body.length) {
            clearInterval(t);
            res.end(c);
          } else res.write(c);
        }, 50);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  };
  r.server = createServer(handle);
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.host = `127.0.0.1:${(r.server.address() as { port: number }).port}`;
  r.close = async () => {
    r.server.closeAllConnections();
    await new Promise((ok) => r.server.close(ok));
    if (tokenServer) {
      tokenServer.closeAllConnections();
      await new Promise((ok) => tokenServer!.close(ok));
    }
  };
  return r;
}

/** Adds an image (gzip layers from the given tars) under repo:tag; returns its digests. */
export function addImage(
  r: FakeRegistry,
  repo: string,
  tag: string,
  tars: Buffer[],
  o: { platform?: string; layerBlobs?: Buffer[] } = {},
) {
  const blobs = o.layerBlobs ?? tars.map((t) => gzipSync(t));
  const config = Buffer.from(
    JSON.stringify({
      architecture: o.platform ?? 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: tars.map((t) => sha(t)) },
    }),
  );
  r.blobs.set(sha(config), config);
  for (const b of blobs) r.blobs.set(sha(b), b);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
      layers: blobs.map((b) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        digest: sha(b),
        size: b.length,
      })),
    }),
  );
  r.manifests.set(`${repo}:${tag}`, { body: manifest, type: 'application/vnd.docker.distribution.manifest.v2+json' });
  r.manifests.set(sha(manifest), { body: manifest, type: 'application/vnd.docker.distribution.manifest.v2+json' });
  return { manifest, config, blobs, digest: sha(manifest) };
}
