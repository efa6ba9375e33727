// Wires diff, commit, export and cp (a container's filesystem) to their router.
import type { OpContext } from '../common/context.ts';
import type { Router } from '../api/router.ts';
import { containerFsRoutes } from '../api/routes/container-fs.ts';
import type { ContainerFsPort, FsDeps } from '../services/containers/fs-ports.ts';
import { containerChanges } from '../services/containers/diff.ts';
import { exportContainer } from '../services/containers/export.ts';
import { commitContainer } from '../services/containers/commit.ts';
import { archiveGet, archiveStat } from '../services/containers/archive-get.ts';
import { archivePut } from '../services/containers/archive-put.ts';

export function wireContainerFs(
  router: Router,
  containers: FsDeps['containers'],
  images: FsDeps['images'],
  fs: ContainerFsPort,
  op: (signal: AbortSignal) => OpContext,
): void {
  const deps: FsDeps = { containers, images, fs };
  containerFsRoutes(router, {
    changes: (id, signal) => containerChanges(containers, op(signal), id),
    export: (id, signal) => exportContainer(deps, op(signal), id),
    commit: ({ container, ...o }, signal) => commitContainer(deps, op(signal), container, o),
    archiveStat: (id, path, signal) => archiveStat(deps, op(signal), id, { path }),
    archiveGet: (id, path, signal) => archiveGet(deps, op(signal), id, { path }),
    archivePut: (id, path, tar, o, signal) => archivePut(deps, op(signal), id, { path, tar, ...o }),
  });
}
