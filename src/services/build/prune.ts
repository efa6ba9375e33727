// POST /build/prune: drops step records, then the images only they kept (untagged, no
// children, no container, no other record), walking up to parents that become free.
// Without `all` only records whose image nothing else reaches (the ones that free space)
// go; `until` keeps recently used records; `keep-storage` keeps the newest records
// whose sizes fit in that many bytes.
import type { Digest } from '../../common/digest.ts';
import { pruneUntil } from '../filters.ts';
import type { ImageDeps } from '../images/deps.ts';
import { removeImage } from '../images/manage.ts';
import { imagesOf } from '../containers/mount-points.ts';
import type { BuildCache } from './cache.ts';
import { cacheEntry, reachedImages } from './usage.ts';

export interface PruneOptions {
  all: boolean;
  keepStorage: number;
  filters: Map<string, string[]>;
}
const FILTERS = ['until', 'id', 'type', 'description', 'shared', 'inuse', 'private', 'parent', 'parents'];

function layersSize(deps: ImageDeps): number {
  return deps.layers.list().reduce((n, c) => n + deps.layers.size(c), 0);
}

export async function pruneBuildCache(
  deps: ImageDeps,
  cache: BuildCache,
  active: { has(id: string): boolean },
  opts: PruneOptions,
): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
  const f = opts.filters;
  const until = pruneUntil(f, FILTERS);
  const reached = reachedImages(deps);
  const records = (await cache.list()).map((r) => ({ r, e: cacheEntry(deps, r, reached, active) }));
  let doomed = records.filter(({ r, e }) => {
    if (e.InUse) return false;
    if (!opts.all && e.Shared && r.image) return false;
    if (until !== undefined && r.lastUsed >= until) return false;
    const ids = f.get('id');
    if (ids && !ids.some((p) => e.ID.startsWith(p) || r.key.startsWith(p))) return false;
    const types = f.get('type');
    if (types && !types.includes(e.Type)) return false;
    const desc = f.get('description');
    if (desc && !desc.some((d) => e.Description.includes(d))) return false;
    return true;
  });
  if (opts.keepStorage > 0) {
    // Keep the most recently used records that fit; drop the rest, oldest first.
    const byNewest = [...doomed].sort((a, b) => b.r.lastUsed - a.r.lastUsed);
    let kept = records.filter((x) => !doomed.includes(x)).reduce((n, x) => n + (x.e.Shared ? 0 : x.e.Size), 0);
    const keep = new Set<(typeof doomed)[number]>();
    for (const x of byNewest) {
      const size = x.e.Shared ? 0 : x.e.Size;
      if (kept + size > opts.keepStorage) break;
      kept += size;
      keep.add(x);
    }
    doomed = doomed.filter((x) => !keep.has(x));
  }
  const before = layersSize(deps);
  for (const { r } of doomed) await cache.delete(r.key);
  // Images the deleted records kept, and parents they leave free.
  const remaining = new Set((await cache.list()).map((r) => r.image).filter(Boolean));
  const queue = doomed.map(({ r }) => r.image).filter(Boolean);
  const inUseByContainer = new Set(deps.containers.list().flatMap((c) => imagesOf(c.record)));
  // Only images a build made (they have records) are removed, never a user's commit.
  const stepImages = new Set(records.map(({ r }) => r.image));
  while (queue.length) {
    const id = queue.shift()! as Digest;
    const img = deps.images.get(id);
    if (!img || !stepImages.has(id) || remaining.has(id) || active.has(id) || inUseByContainer.has(id)) continue;
    if (deps.images.tagsOf(id).length || deps.images.children(id).length) continue;
    await removeImage(deps, id, { noprune: true });
    if (img.meta.parent) queue.push(img.meta.parent);
  }
  return { CachesDeleted: doomed.map(({ e }) => e.ID), SpaceReclaimed: Math.max(0, before - layersSize(deps)) };
}
