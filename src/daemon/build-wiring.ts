// Wires POST /build to the build service.
import { join } from 'node:path';
import { readdir, rm } from 'node:fs/promises';
import type { Router } from '../api/router.ts';
import { buildRoutes } from '../api/routes/build.ts';
import type { FsDeps } from '../services/containers/fs-ports.ts';
import { buildImage, cleanBuildLeftovers } from '../services/build/build.ts';
import type { BuildDeps, PullFn } from '../services/build/deps.ts';

export function wireBuild(router: Router, fs: FsDeps, pull: PullFn, dataRoot: string): { cleanup(): Promise<void> } {
  const deps: BuildDeps = { fs, pull, dir: join(dataRoot, 'build') };
  buildRoutes(router, {
    build: (q, body, signal, emit) => buildImage(deps, q, body, signal, emit),
    prune: async () => {
      const dir = join(deps.dir, 'cache');
      const keys = await readdir(dir).catch(() => [] as string[]);
      await rm(dir, { recursive: true, force: true });
      return { CachesDeleted: keys, SpaceReclaimed: 0 };
    },
  });
  return { cleanup: () => cleanBuildLeftovers(deps) };
}
