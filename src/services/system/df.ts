// GET /system/df: disk usage by images (with each image's shared size and container
// count), containers (writable layer sizes), local volumes (size, references) and the build cache —
// Docker's field names. `types` limits what is computed, as the API's `type` parameter.
import { chainIds } from '../../common/digest.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { ImageDeps } from '../images/deps.ts';
import { listImages } from '../images/manage.ts';
import type { ListDeps } from '../containers/list.ts';
import { listContainers } from '../containers/list.ts';
import type { BuildCache } from '../../api/types/build.ts';
import type { DiskUsage } from '../../api/types/system.ts';
import type { Volume } from '../../api/types/volumes.ts';

const TYPES = ['container', 'image', 'volume', 'build-cache'];

export interface DiskUsageDeps {
  images: ImageDeps;
  containers: ListDeps;
  buildCache(): Promise<BuildCache[]>;
  volumes(): Promise<Volume[]>;
}

export async function diskUsage(deps: DiskUsageDeps, types: string[]): Promise<DiskUsage> {
  for (const t of types) if (!TYPES.includes(t)) throw invalidArgument(`unknown object type: ${t}`);
  const want = (t: string) => types.length === 0 || types.includes(t);
  const out: DiskUsage = {};
  if (want('image')) {
    const ideps = deps.images;
    const layers = ideps.layers.list();
    out.LayersSize = layers.reduce((n, c) => n + ideps.layers.size(c), 0);
    const summaries = listImages(ideps, { containers: true });
    // A layer is shared when more than one listed image's chain holds it (moby's rule).
    const refs = new Map<string, number>();
    const chainOf = (id: string) => chainIds(ideps.images.get(id as never)?.doc.rootfs.diff_ids ?? []);
    for (const s of summaries) for (const c of chainOf(s.Id)) refs.set(c, (refs.get(c) ?? 0) + 1);
    out.Images = summaries.map((s) => ({
      ...s,
      SharedSize: chainOf(s.Id)
        .filter((c) => (refs.get(c) ?? 0) > 1)
        .reduce((n, c) => n + (ideps.layers.has(c) ? ideps.layers.size(c) : 0), 0),
    }));
  }
  if (want('container')) out.Containers = await listContainers(deps.containers, { all: true, size: true });
  if (want('volume')) out.Volumes = await deps.volumes();
  if (want('build-cache')) out.BuildCache = await deps.buildCache();
  return out;
}
