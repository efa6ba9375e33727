// The uncompressed tar of an image's layer, kept in the content store by its diffID.
// Imports store it directly; for pulled layers it is made once from the compressed blob
// (verified against the diffID) when save needs it.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../common/digest.ts';
import { notFound } from '../../common/errors.ts';
import type { Image } from '../../images/types.ts';
import { parseManifest } from '../../registry/manifest.ts';
import type { DistributionDeps } from './distribution-deps.ts';

/** Compressed blobs of an image's layers, from a manifest we hold for it. */
export async function compressedLayers(deps: DistributionDeps, img: Image): Promise<Digest[] | undefined> {
  for (const r of deps.images.refsOf(img.id)) {
    if (!r.digest) continue;
    const docs: Buffer[] = [];
    try {
      const top = await deps.content.readBytes(r.digest, 4 << 20);
      const p = parseManifest(top);
      if (p.kind === 'manifest') docs.push(top);
      else
        for (const d of p.doc.manifests)
          await deps.content.readBytes(d.digest as Digest, 4 << 20).then(
            (b) => docs.push(b),
            () => {},
          );
    } catch {
      continue;
    }
    for (const b of docs) {
      const p = parseManifest(b);
      if (p.kind === 'manifest' && p.doc.config.digest === img.id) return p.doc.layers.map((l) => l.digest as Digest);
    }
  }
  return undefined;
}

export async function ensureLayerTar(deps: DistributionDeps, img: Image, i: number): Promise<Digest> {
  const diffId = img.doc.rootfs.diff_ids[i];
  if (await deps.content.info(diffId)) return diffId;
  const blobs = await compressedLayers(deps, img);
  const blob = blobs?.[i];
  if (!blob || !(await deps.content.info(blob)))
    throw notFound(`layer ${diffId} of image ${img.id} has no stored content`);
  const w = await deps.content.openWriter({ digest: diffId });
  try {
    const plain = await deps.decompress(deps.content.readStream(blob));
    await pipeline(plain, w.transform(), createWriteStream(w.tmpPath, { mode: 0o600 }));
    await w.commitFile();
  } catch (err) {
    await w.abort();
    throw err;
  }
  return diffId;
}
