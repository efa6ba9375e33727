// What the container services need from volumes and mounts (services/volumes implements
// it; daemon/ wires it). A container's mounts are resolved once, at create, into mount
// points kept in its record; everything later works from those.
//
// Lifecycle, for one container:
//   prepare (create: volumes made or found, references taken, copy-up) — abandon undoes it
//   → attach (start: volumes mounted, OCI mounts) → created() once the task exists
//   → detach (exit: volumes unmounted)   … attach/detach again for each run …
//   → forget (rm: references dropped, anonymous volumes removed with -v / --rm)
// adopt() re-attaches a container found running after a berthd restart.
import type { Container } from '../../containers/store.ts';
import type { ContainerConfig, HostConfig, MountPoint } from '../../containers/types.ts';
import type { Mount } from '../../oci/runtime-spec.ts';
import type { ViewBind } from './view-bind.ts';

export interface PrepareMounts {
  id: string;
  /** Merged with the image's: Volumes holds the image's VOLUMEs too. */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The image's layer directories, top first (copy-up reads them). */
  lowers: string[];
}

export interface AttachedMounts {
  /** Binds (host paths, volume data) and tmpfs mounts in OCI form, parents first. */
  mounts: Mount[];
  /** The container root's propagation a shared or slave bind needs. */
  rootfsPropagation?: string;
  /** The task exists: temporary pins (volume subpaths) can go. */
  created(): void;
  /** The start failed: everything attach did is undone. */
  release(): Promise<void>;
}

export interface ContainerVolumes {
  prepare(req: PrepareMounts): Promise<MountPoint[]>;
  abandon(id: string, mounts: MountPoint[]): Promise<void>;
  attach(c: Container): Promise<AttachedMounts>;
  /** `afterCrash`: the run began under an earlier berthd (nothing was attached in this one). */
  detach(c: Container, opts?: { afterCrash?: boolean }): Promise<void>;
  forget(c: Container, removeAnonymous: boolean): Promise<void>;
  adopt(c: Container): Promise<void>;
  /** A stopped container's volumes and binds for a private view (cp); release() after the view is gone. */
  forView(c: Container): Promise<{ binds: ViewBind[]; release(): void }>;
  /** Where a volume's data is on the host while the container uses it ('' when unknown). */
  sourceOf(c: Container, mp: MountPoint): string;
}
