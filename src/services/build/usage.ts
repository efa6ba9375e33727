// The build cache as Docker's API shows it (GET /system/df BuildCache): one entry per step
// record. An entry's size is what its image adds over its parent; it is "shared" when a
// tagged image or a container still reaches that image, so dropping the record frees nothing.
import type { Digest } from '../../common/digest.ts';
import type { ImageDeps } from '../images/deps.ts';
import { imagesOf } from '../containers/mount-points.ts';
import type { BuildCache, CacheRecord } from './cache.ts';
import type { CacheMountUsage } from './step-mounts.ts';
import type { BuildCache as CacheEntry } from '../../api/types/build.ts';

/** Images a tagged image or a container reaches through parent links. */
export function reachedImages(deps: ImageDeps): Set<string> {
  const seen = new Set<string>();
  const roots = [
    ...deps.images
      .list()
      .filter((i) => deps.images.tagsOf(i.id).length > 0)
      .map((i) => i.id),
    ...deps.containers.list().flatMap((c) => imagesOf(c.record)),
  ];
  for (let cur of roots) {
    for (let n = 0; cur && !seen.has(cur) && n < 4096; n++) {
      seen.add(cur);
      cur = deps.images.get(cur as Digest)?.meta.parent as Digest;
    }
  }
  return seen;
}

/** Bytes an image's own layers add over its parent's. */
export function ownSize(deps: ImageDeps, image: string): number {
  const img = deps.images.get(image as Digest);
  if (!img) return 0;
  const parent = img.meta.parent ? deps.images.get(img.meta.parent) : undefined;
  return Math.max(0, img.size - (parent?.size ?? 0));
}

export function cacheEntry(
  deps: ImageDeps,
  r: CacheRecord,
  reached: Set<string>,
  active: { has(id: string): boolean },
): CacheEntry {
  const img = r.image ? deps.images.get(r.image as Digest) : undefined;
  const parentKey = img?.meta.parent ?? '';
  return {
    ID: r.key.slice(0, 25),
    Parents: parentKey ? [parentKey.replace(/^sha256:/, '').slice(0, 25)] : null,
    Type: 'regular',
    Description: img?.doc.history?.at(-1)?.created_by ?? '',
    InUse: active.has(r.image),
    Shared: reached.has(r.image),
    Size: r.image ? ownSize(deps, r.image) : 0,
    CreatedAt: img?.doc.created ?? new Date(r.lastUsed).toISOString(),
    LastUsedAt: new Date(r.lastUsed).toISOString(),
    UsageCount: 0,
  };
}

export async function buildCacheUsage(
  deps: ImageDeps,
  cache: BuildCache,
  active: { has(id: string): boolean },
): Promise<CacheEntry[]> {
  const reached = reachedImages(deps);
  return (await cache.list()).map((r) => cacheEntry(deps, r, reached, active));
}

/** A RUN --mount=type=cache directory as a cache entry (BuildKit's exec.cachemount). */
export function cacheMountEntry(m: CacheMountUsage): CacheEntry {
  return {
    ID: m.id.slice(0, 25),
    Parents: null,
    Type: 'exec.cachemount',
    Description: 'cached mount (RUN --mount=type=cache)',
    InUse: m.inUse,
    Shared: false,
    Size: m.size,
    CreatedAt: m.createdAt,
    LastUsedAt: m.lastUsedAt,
    UsageCount: 0,
  };
}
