// POST /images/{name}/push: blobs first (HEAD → skip, cross-repository mount, upload),
// config, then the manifest last, so a registry never holds a manifest whose blobs are
// missing. A pulled image is pushed with the manifest it came with (same digests); an
// imported one has its layer tars (digest = diffID) compressed with fixed gzip settings
// (no name, no mtime) and the result kept, so pushing again yields the same digests.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zc } from 'node:zlib';
import type { OpContext } from '../../common/context.ts';
import type { Digest } from '../../common/digest.ts';
import { invalidArgument, notFound } from '../../common/errors.ts';
import { familiarName, fullName, parseReference, validateTag, type Reference } from '../../common/reference.ts';
import { MediaType, type Descriptor, type Manifest } from '../../oci/image-spec.ts';
import type { Image } from '../../images/types.ts';
import type { Credentials } from '../../registry/auth.ts';
import type { RegistryClient } from '../../registry/client.ts';
import { connect } from '../../registry/hosts.ts';
import { parseManifest } from '../../registry/manifest.ts';
import { bar, type DistributionDeps, type Emit } from './distribution-deps.ts';
import { limiter } from './inflight.ts';
import { shortId } from '../../common/ids.ts';

const CHUNKED_ABOVE = 32 << 20;
const CHUNK = 16 << 20;

/** A manifest we already hold for this image (from its pull or an earlier push). */
async function knownManifest(
  deps: DistributionDeps,
  img: Image,
): Promise<{ bytes: Buffer; doc: Manifest; mediaType: string } | undefined> {
  for (const r of deps.images.refsOf(img.id)) {
    if (!r.digest) continue;
    let bytes: Buffer;
    try {
      bytes = await deps.content.readBytes(r.digest, 4 << 20);
    } catch {
      continue;
    }
    const candidates: Buffer[] = [bytes];
    try {
      const p = parseManifest(bytes);
      if (p.kind === 'index') {
        candidates.length = 0;
        for (const d of p.doc.manifests) {
          try {
            candidates.push(await deps.content.readBytes(d.digest as Digest, 4 << 20));
          } catch {
            /* not pulled */
          }
        }
      }
    } catch {
      continue;
    }
    for (const c of candidates) {
      try {
        const p = parseManifest(c);
        if (p.kind !== 'manifest' || p.doc.config.digest !== img.id) continue;
        const present = await Promise.all(p.doc.layers.map((l) => deps.content.info(l.digest as Digest)));
        if (present.every((x, i) => x && x.size === p.doc.layers[i].size))
          return { bytes: c, doc: p.doc, mediaType: p.mediaType };
      } catch {
        /* skip */
      }
    }
  }
  return undefined;
}

/** gzip with fixed settings: the same tar always gives the same blob. */
async function compressLayer(deps: DistributionDeps, diffId: Digest): Promise<Descriptor> {
  if (!(await deps.content.info(diffId))) throw notFound(`layer ${diffId} has no stored tar to push`);
  const w = await deps.content.openWriter();
  try {
    await pipeline(
      deps.content.readStream(diffId),
      createGzip({ level: 6, strategy: zc.Z_DEFAULT_STRATEGY }),
      w.transform(),
      createWriteStream(w.tmpPath, { mode: 0o600 }),
    );
    const info = await w.commitFile();
    return { mediaType: MediaType.DockerLayer, digest: info.digest, size: info.size };
  } catch (err) {
    await w.abort();
    throw err;
  }
}

async function buildManifest(
  deps: DistributionDeps,
  img: Image,
): Promise<{ bytes: Buffer; doc: Manifest; mediaType: string }> {
  const known = await knownManifest(deps, img);
  if (known) return known;
  const config = await deps.content.readBytes(img.id);
  const layers: Descriptor[] = [];
  for (const d of img.doc.rootfs.diff_ids) layers.push(await compressLayer(deps, d));
  const doc: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: { mediaType: MediaType.DockerConfig, digest: img.id, size: config.length },
    layers,
  };
  return { bytes: Buffer.from(JSON.stringify(doc, null, 3)), doc, mediaType: MediaType.DockerManifest };
}

export interface PushRequest {
  name: string;
  tag?: string;
  auth?: Credentials;
}

export async function pushImage(deps: DistributionDeps, ctx: OpContext, req: PushRequest, emit: Emit): Promise<void> {
  const base = parseReference(req.name);
  if (base.digest) throw invalidArgument('cannot push a digest reference');
  let targets: Reference[];
  if (req.tag || base.tag) targets = [{ ...base, tag: validateTag(req.tag ?? base.tag!) }];
  else {
    targets = deps.images
      .list()
      .flatMap((i) => deps.images.refsOf(i.id))
      .filter((r) => r.tag && fullName(r) === fullName(base));
    if (!targets.length) throw notFound(`An image does not exist locally with the tag: ${familiarName(base)}`);
  }
  const images = targets.map((t) => {
    const img = deps.images.tryResolve(`${fullName(t)}:${t.tag}`);
    if (!img) throw notFound(`An image does not exist locally with the tag: ${familiarName(t)}`);
    return img;
  });
  const clients = await connect(base.domain, deps.registry, req.auth, { signal: ctx.signal, forPush: true });
  const client = clients[0];
  emit({ status: `The push refers to repository [${fullName(base).replace(/^docker\.io\//, 'docker.io/')}]` });
  for (let i = 0; i < targets.length; i++) await pushOne(deps, ctx, client, targets[i], images[i], emit);
}

async function pushOne(
  deps: DistributionDeps,
  ctx: OpContext,
  client: RegistryClient,
  ref: Reference,
  img: Image,
  emit: Emit,
): Promise<void> {
  const m = await buildManifest(deps, img);
  const release = deps.leases.take([...m.doc.layers.map((l) => l.digest as Digest), img.id]);
  try {
    const repo = ref.path;
    // Other repositories on the same registry that hold this image: mount sources.
    const siblings = [
      ...new Set(
        deps.images
          .list()
          .flatMap((i) => deps.images.refsOf(i.id))
          .filter((r) => r.domain === ref.domain && r.path !== repo && r.digest)
          .map((r) => r.path),
      ),
    ];
    const layers = [...m.doc.layers].reverse();
    for (const l of layers) emit({ status: 'Preparing', progressDetail: {}, id: shortId(l.digest) });
    const limit = limiter(deps.maxUploads);
    await Promise.all(layers.map((l) => limit(() => pushBlob(deps, ctx, client, repo, l, siblings, emit, true))));
    await pushBlob(deps, ctx, client, repo, m.doc.config, [], emit, false);
    await client.putManifest(repo, ref.tag!, m.bytes, m.mediaType, ctx.signal);
    const put = await deps.content.put(m.bytes);
    await deps.images.tag(img.id, { domain: ref.domain, path: ref.path, digest: put.digest });
    deps.events.publish('image', 'push', `${familiarName(ref)}:${ref.tag}`, {
      name: `${familiarName(ref)}:${ref.tag}`,
    });
    emit({ status: `${ref.tag}: digest: ${put.digest} size: ${m.bytes.length}` });
    emit({ progressDetail: {}, aux: { Tag: ref.tag, Digest: put.digest, Size: m.bytes.length } });
  } finally {
    release();
  }
}

async function pushBlob(
  deps: DistributionDeps,
  ctx: OpContext,
  client: RegistryClient,
  repo: string,
  d: Descriptor,
  mountFrom: string[],
  emit: Emit,
  visible: boolean,
): Promise<void> {
  const digest = d.digest as Digest;
  const id = shortId(digest);
  const say = (status: string, extra: object = {}) => {
    if (visible) emit({ status, progressDetail: {}, id, ...extra });
  };
  if ((await client.blobSize(repo, digest, ctx.signal)) !== undefined) {
    say('Layer already exists');
    return;
  }
  let location: string | undefined;
  for (const from of mountFrom) {
    const r = await client.mountBlob(repo, digest, from, ctx.signal);
    if (r.mounted) {
      say(`Mounted from ${from}`);
      return;
    }
    location = r.location;
    break; // the registry started a normal upload instead
  }
  location ??= await client.startUpload(repo, ctx.signal);
  const file = deps.content.path(digest);
  await client.upload(repo, location, file, digest, d.size, {
    signal: ctx.signal,
    chunkSize: d.size > CHUNKED_ABOVE ? CHUNK : 0,
    onProgress: (n) => say('Pushing', { progressDetail: { current: n, total: d.size }, progress: bar(n, d.size) }),
  });
  say('Pushed');
}
