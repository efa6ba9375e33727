// GET /images/get: Docker's archive format as Docker 25+ writes it — an OCI image layout
// (oci-layout, index.json, blobs/sha256/…) plus manifest.json and repositories, so both
// old and new docker load and OCI tools read it. Layers are uncompressed tars whose digest
// is the diffID, so a load elsewhere yields the same image ID.
import type { Readable } from 'node:stream';
import { hexOf, sha256, type Digest } from '../../common/digest.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { familiarName, familiarString, parseReference, withDefaultTag } from '../../common/reference.ts';
import { MediaType, type Manifest } from '../../oci/image-spec.ts';
import type { Image } from '../../images/types.ts';
import { TarWriter } from '../../tar/writer.ts';
import type { DistributionDeps } from './distribution-deps.ts';
import { ensureLayerTar } from './layer-tar.ts';

interface Item {
  img: Image;
  tags: string[];
}

function resolveNames(deps: DistributionDeps, names: string[]): Item[] {
  if (!names.length) throw invalidArgument('no images specified');
  const byId = new Map<Digest, Item>();
  for (const n of names) {
    const img = deps.images.resolve(n);
    const item = byId.get(img.id) ?? { img, tags: [] };
    byId.set(img.id, item);
    let isRef = false;
    try {
      const r = withDefaultTag(parseReference(n));
      isRef = !r.digest && deps.images.lookupRef(r) === img.id;
      if (isRef) item.tags.push(familiarString(r));
    } catch {
      /* an ID */
    }
    if (!isRef && !/^(sha256:)?[0-9a-f]+$/.test(n)) item.tags.push(...deps.images.tagsOf(img.id));
  }
  return [...byId.values()];
}

export async function saveImages(deps: DistributionDeps, ctx: OpContext, names: string[]): Promise<Readable> {
  const items = resolveNames(deps, names);
  // Every layer tar exists before the first byte goes out: failures are still HTTP errors.
  const release = deps.leases.take(items.flatMap((i) => i.img.doc.rootfs.diff_ids));
  try {
    for (const it of items)
      for (let i = 0; i < it.img.doc.rootfs.diff_ids.length; i++) {
        ctx.signal.throwIfAborted();
        await ensureLayerTar(deps, it.img, i);
      }
  } catch (err) {
    release();
    throw err;
  }
  const tw = new TarWriter();
  const dir = async (name: string) => tw.add({ name, type: 'dir', mode: 0o755 });
  const file = async (name: string, body: Buffer) => tw.add({ name, type: 'file', mode: 0o644 }, body);
  (async () => {
    const written = new Set<string>();
    await dir('blobs/');
    await dir('blobs/sha256/');
    const index: { schemaVersion: 2; mediaType: string; manifests: unknown[] } = {
      schemaVersion: 2,
      mediaType: MediaType.OCIIndex,
      manifests: [],
    };
    const manifestJson: unknown[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { img, tags } of items) {
      ctx.signal.throwIfAborted(); // the client left: stop writing (the stream is destroyed)
      const config = await deps.content.readBytes(img.id);
      const layerSizes: number[] = [];
      for (const d of img.doc.rootfs.diff_ids) {
        const info = (await deps.content.info(d))!;
        layerSizes.push(info.size);
        if (written.has(d)) continue;
        written.add(d);
        await tw.add(
          { name: `blobs/sha256/${hexOf(d)}`, type: 'file', mode: 0o644, size: info.size },
          deps.content.readStream(d),
        );
      }
      if (!written.has(img.id)) {
        written.add(img.id);
        await file(`blobs/sha256/${hexOf(img.id)}`, config);
      }
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OCIManifest,
        config: { mediaType: MediaType.OCIConfig, digest: img.id, size: config.length },
        layers: img.doc.rootfs.diff_ids.map((d, i) => ({
          mediaType: MediaType.OCILayer,
          digest: d,
          size: layerSizes[i],
        })),
      };
      const mbytes = Buffer.from(JSON.stringify(manifest));

      const mdigest = sha256(mbytes);
      if (!written.has(mdigest)) {
        written.add(mdigest);
        await file(`blobs/sha256/${hexOf(mdigest)}`, mbytes);
      }
      const desc = { mediaType: MediaType.OCIManifest, digest: mdigest, size: mbytes.length };
      if (!tags.length) index.manifests.push(desc);
      for (const t of tags) {
        const r = parseReference(t);
        index.manifests.push({
          ...desc,
          annotations: {
            'io.containerd.image.name': `${r.domain}/${r.path}:${r.tag}`,
            'org.opencontainers.image.ref.name': r.tag,
          },
        });
        (repositories[familiarName(r)] ??= {})[r.tag!] = hexOf(img.id);
      }
      manifestJson.push({
        Config: `blobs/sha256/${hexOf(img.id)}`,
        RepoTags: tags.length ? tags : null,
        Layers: img.doc.rootfs.diff_ids.map((d) => `blobs/sha256/${hexOf(d)}`),
      });
    }
    await file('index.json', Buffer.from(JSON.stringify(index)));
    await file('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    if (Object.keys(repositories).length) await file('repositories', Buffer.from(JSON.stringify(repositories)));
    await tw.finish();
  })()
    .catch((err) => tw.stream.destroy(err))
    .finally(release);
  return tw.stream;
}
