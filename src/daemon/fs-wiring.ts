// Wires diff, commit, export and cp (a container's filesystem) to their router.
import type { Router } from '../api/router.ts';
import { containerFsRoutes } from '../api/routes/container-fs.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import type { ImageDeps } from '../services/images/deps.ts';
import type { ContainerFsPort, FsDeps } from '../services/containers/fs-ports.ts';
import type { RunConfig } from '../oci/image-spec.ts';
import { containerChanges } from '../services/containers/diff.ts';
import { exportContainer } from '../services/containers/export.ts';
import { commitContainer } from '../services/containers/commit.ts';
import { archiveGet, archiveStat } from '../services/containers/archive-get.ts';
import { archivePut } from '../services/containers/archive-put.ts';

export function wireContainerFs(
  router: Router,
  containers: ContainerDeps,
  images: ImageDeps,
  fs: ContainerFsPort,
): void {
  const deps: FsDeps = { containers, images, fs };
  containerFsRoutes(router, {
    changes: (id) => containerChanges(containers, id),
    export: (id, signal) => exportContainer(deps, id, signal),
    commit: (p) => commitContainer(deps, { ...p, config: p.config as RunConfig | undefined }),
    archiveStat: (id, path) => archiveStat(deps, id, path),
    archiveGet: (id, path, signal) => archiveGet(deps, id, path, signal),
    archivePut: (id, path, body, o) => archivePut(deps, id, path, body, o),
  });
}
