// What the container side of volumes needs: the volume service, the container records
// (for --volumes-from), a look at the image's files, and a read-only view of an image
// for copy-up and image mounts.
import type { ContainerStore } from '../../containers/store.ts';
import type { LayerEntry } from '../../snapshots/layer-read.ts';
import type { FsView } from '../containers/fs-ports.ts';
import type { VolumeDeps } from './deps.ts';

export interface ContainerVolumeDeps extends VolumeDeps {
  readonly containers: ContainerStore;
  /** What the image (layers, top first) has at a path. */
  statImagePath(lowers: string[], path: string): Promise<LayerEntry>;
  /** A read-only mounted view of the layers (copy-up and image mounts read it). */
  viewImage(lowers: string[]): FsView;
  /** An image by name or ID: its ID and layer dirs, top first (not-found when absent). */
  imageLayers(ref: string): { id: string; lowers: string[] };
  /** Binds below the data root get rslave unless told otherwise (Docker's rule). */
  readonly dataRoot: string;
  /** Where volume subpaths are pinned while a task is created. */
  readonly pinsDir: string;
  /** userns-remap: the owners copy-up gives a container's volumes (its host ids for the image's). */
  copyUpIds?(hc: { UsernsMode?: string }): ((uid: number, gid: number) => [number, number]) | undefined;
}
