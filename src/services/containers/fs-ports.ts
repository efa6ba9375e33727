// What diff, commit, export and cp need beyond the container services' deps: private
// mounts of a container's filesystem, and the image side (layers, content, image store).
// daemon/ wires the real implementations.
import type { ContainerDeps } from './deps.ts';
import type { ImageDeps } from '../images/deps.ts';

import type { ViewBind } from './view-bind.ts';

export type { ViewBind };

/**
 * A mounted view of a container's filesystem in a private directory of its own.
 * Lifecycle: mountView() → use `root` → release() (unmounts everything below `root` and
 * removes the directory; idempotent). Nothing else is mounted or unmounted by users.
 */
export interface FsView {
  readonly root: string;
  release(): void;
}

export interface ContainerFsPort {
  /**
   * Mounts `layers` (top first). With `rw` it is a writable overlay over the container's
   * own upper/work dirs (only while no task uses them); without, a read-only view.
   * `binds` are mounted over their destinations when those exist in the view.
   */
  mountView(layers: string[], opts?: { rw?: { upper: string; work: string }; binds?: ViewBind[] }): FsView;
  /** Where the shim mounted a running task's root filesystem (host mount namespace). */
  taskRootfs(id: string): string;
}

export interface FsDeps {
  readonly containers: Pick<
    ContainerDeps,
    'store' | 'images' | 'layers' | 'live' | 'locks' | 'events' | 'users' | 'volumes' | 'settings'
  >;
  readonly images: ImageDeps;
  readonly fs: ContainerFsPort;
}
