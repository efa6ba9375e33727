// --cache-from, as Docker's legacy builder (moby daemon/images/cache.go): a step is a hit
// when a cache-from image's history and layers start with the parent's, and its next
// history entry was made by the same instruction (created_by, which holds the content
// hash for COPY/ADD). A hit on the source's last entry is the source itself; otherwise
// an image is recorded from the source's layers and history up to that entry, with the
// step's config, on the parent.
import { chainIds, type Digest } from '../../common/digest.ts';
import type { Image } from '../../images/types.ts';
import type { HistoryEntry, ImageDocument, RunConfig } from '../../oci/image-spec.ts';
import type { ImageStore } from '../../images/store.ts';
import { storedConfig } from './commit-step.ts';

const sameEntry = (a: HistoryEntry, b: HistoryEntry) =>
  (a.created ?? '') === (b.created ?? '') &&
  (a.created_by ?? '') === (b.created_by ?? '') &&
  (a.author ?? '') === (b.author ?? '') &&
  (a.comment ?? '') === (b.comment ?? '') &&
  Boolean(a.empty_layer) === Boolean(b.empty_layer);

/** moby's isValidParent: `img` extends `parent` (history and layers). */
function extendsParent(img: Image, parent: Image | undefined): boolean {
  const h = img.doc.history ?? [];
  if (!h.length) return false;
  if (!parent) return true;
  const ph = parent.doc.history ?? [];
  const pd = parent.doc.rootfs.diff_ids;
  if (!ph.length && !pd.length) return true;
  if (ph.length >= h.length || pd.length > img.doc.rootfs.diff_ids.length) return false;
  return ph.every((e, i) => sameEntry(e, h[i])) && pd.every((d, i) => d === img.doc.rootfs.diff_ids[i]);
}

/** The layer the history entry at `index` added, if it is not an empty one. */
function layerAt(img: Image, index: number): Digest | undefined {
  const h = img.doc.history ?? [];
  if (h[index]?.empty_layer) return undefined;
  const n = h.slice(0, index).filter((e) => !e.empty_layer).length;
  return img.doc.rootfs.diff_ids[n];
}

export async function cacheFromHit(
  images: ImageStore,
  sources: string[],
  parentId: string,
  createdBy: string,
  config: RunConfig,
): Promise<string | undefined> {
  const parent = parentId ? images.get(parentId as Digest) : undefined;
  if (parentId && !parent) return undefined;
  const n = parent?.doc.history?.length ?? 0;
  for (const name of sources) {
    const src = images.tryResolve(name);
    if (!src || !extendsParent(src, parent)) continue;
    const entry = src.doc.history![n];
    if (!entry || entry.created_by !== createdBy) continue;
    if (src.doc.history!.length - 1 === n && src.id !== parentId) return src.id;
    const diffIds = [...(parent?.doc.rootfs.diff_ids ?? [])];
    const layer = layerAt(src, n);
    if (layer) diffIds.push(layer);
    const cfg = storedConfig(config);
    const doc: ImageDocument = {
      architecture: src.doc.architecture,
      os: src.doc.os,
      ...(src.doc.variant ? { variant: src.doc.variant } : {}),
      ...(src.doc.author ? { author: src.doc.author } : {}),
      created: entry.created,
      config: cfg,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [...(parent?.doc.history ?? []), entry],
    };
    const img = await images.create(doc, chainIds(diffIds), parent ? { parent: parent.id } : {});
    return img.id;
  }
  return undefined;
}

/** Whether `image` is one of `sources` or an ancestor of one (moby's isParent walk). */
export function inCacheFromChain(images: ImageStore, sources: string[], image: string): boolean {
  for (const name of sources) {
    let cur = images.tryResolve(name);
    for (let depth = 0; cur && depth < 1000; depth++) {
      if (cur.id === image) return true;
      cur = cur.meta.parent ? images.get(cur.meta.parent) : undefined;
    }
  }
  return false;
}
