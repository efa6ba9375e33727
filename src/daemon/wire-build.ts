// Wires POST /build, POST /build/prune and GET /system/df to their services.
import { join } from 'node:path';
import type { OpContext } from '../common/context.ts';
import type { Router } from '../api/router.ts';
import type { Volume } from '../api/types/volumes.ts';
import { buildRoutes } from '../api/routes/build.ts';
import { diskUsageRoutes } from '../api/routes/system-df.ts';
import type { FsDeps } from '../services/containers/fs-ports.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import { buildImage, cleanBuildLeftovers } from '../services/build/build.ts';
import type { BuildDeps, PullFn } from '../services/build/deps.ts';
import { BuildCache } from '../services/build/cache.ts';
import { ContextStore } from '../services/build/context-store.ts';
import { ImagesInUse } from '../services/build/in-use.ts';
import { checkManifest } from '../builder/context/manifest.ts';
import { pruneBuildCache } from '../services/build/prune.ts';
import { buildCacheUsage, cacheMountEntry } from '../services/build/usage.ts';
import { cacheMountUsage, removeIdleCacheMounts } from '../services/build/step-mounts.ts';
import { diskUsage } from '../services/system/df.ts';

export function wireBuild(
  router: Router,
  containers: ContainerDeps,
  fs: FsDeps,
  pull: PullFn,
  dataRoot: string,
  op: (signal: AbortSignal) => OpContext,
  volumeUsage: () => Promise<Volume[]>,
): { cleanup(ctx: OpContext): Promise<void> } {
  const dir = join(dataRoot, 'build');
  const active = new ImagesInUse();
  const deps: BuildDeps = { containers, fs, pull, dir, contexts: new ContextStore(dir), inUse: active };
  let cache: BuildCache | undefined;
  const records = () => (cache ??= new BuildCache(deps.dir, containers.images));
  buildRoutes(router, {
    build: (q, body, signal, emit) => buildImage(deps, op(signal), q, body, emit),
    offerContext: (key, manifest) => deps.contexts.offer(key, checkManifest(manifest)),
    prune: async (opts) => {
      const out = await pruneBuildCache(fs.images, records(), active, opts);
      // -a with no filters also drops idle RUN cache mounts and the contexts kept for
      // berth build's transfer (the step records went above).
      if (opts.all && opts.filters.size === 0) {
        for (const m of removeIdleCacheMounts(dir)) {
          out.CachesDeleted.push(m.id.slice(0, 25));
          out.SpaceReclaimed += m.size;
        }
        out.SpaceReclaimed += await deps.contexts.clear();
      }
      return out;
    },
  });
  diskUsageRoutes(router, {
    diskUsage: (types) =>
      diskUsage(
        {
          images: fs.images,
          containers,
          buildCache: async () => [
            ...(await buildCacheUsage(fs.images, records(), active)),
            ...cacheMountUsage(dir).map(cacheMountEntry),
          ],
          volumes: volumeUsage,
        },
        types,
      ),
  });
  return { cleanup: (ctx) => cleanBuildLeftovers(deps, ctx) };
}
