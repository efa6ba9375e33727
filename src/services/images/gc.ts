// Mark and sweep for content blobs and layers: roots are the recorded images (their
// configs, layer tars and chains, and the manifests their repo digests name, with the
// blobs those list); work in progress is protected by leases. Anything else is garbage
// (a pull cancelled or killed before its image was recorded, a failed load).
import { chainIds, type Digest } from '../../common/digest.ts';
import { parseManifest } from '../../registry/manifest.ts';
import type { DistributionDeps } from './distribution-deps.ts';

export async function collectGarbage(
  deps: DistributionDeps,
): Promise<{ blobs: number; layers: number; bytes: number }> {
  const liveBlobs = new Set<Digest>();
  const liveLayers = new Set<Digest>();
  const markManifest = async (d: Digest, depth: number): Promise<void> => {
    if (depth > 3 || liveBlobs.has(d)) return;
    liveBlobs.add(d);
    let p;
    try {
      p = parseManifest(await deps.content.readBytes(d, 4 << 20));
    } catch {
      return;
    }
    if (p.kind === 'index') for (const m of p.doc.manifests) await markManifest(m.digest as Digest, depth + 1);
    else {
      liveBlobs.add(p.doc.config.digest as Digest);
      for (const l of p.doc.layers) liveBlobs.add(l.digest as Digest);
    }
  };
  for (const img of deps.images.list()) {
    liveBlobs.add(img.id);
    for (const d of img.doc.rootfs.diff_ids) liveBlobs.add(d);
    for (const c of chainIds(img.doc.rootfs.diff_ids)) liveLayers.add(c);
    for (const r of deps.images.refsOf(img.id)) if (r.digest) await markManifest(r.digest, 0);
  }
  let blobs = 0;
  let layers = 0;
  let bytes = 0;
  for (const d of await deps.content.list()) {
    if (liveBlobs.has(d) || deps.leases.has(d)) continue;
    bytes += (await deps.content.info(d))?.size ?? 0;
    await deps.content.delete(d);
    blobs++;
  }
  // Children before parents: remove() keeps a layer that is still someone's parent.
  for (let pass = 0, removed = 1; removed && pass < 256; pass++) {
    removed = 0;
    for (const c of deps.layers.list()) {
      if (liveLayers.has(c) || deps.leases.has(c)) continue;
      const before = deps.layers.has(c);
      bytes += deps.layers.size(c);
      await deps.layers.remove(c);
      if (before && !deps.layers.has(c)) {
        layers++;
        removed++;
      } else bytes -= deps.layers.size(c);
    }
  }
  return { blobs, layers, bytes };
}
