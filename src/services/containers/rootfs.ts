// Where a container's filesystem lives: its image's layer dirs (top first) under its own
// upper dir. Shared by the supervisor (the task's rootfs), exec (the user's files), diff,
// commit, export and cp.
import { join } from 'node:path';
import { chainIds } from '../../common/digest.ts';
import { invalidArgument, notFound } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { ImageStore } from '../../images/store.ts';
import type { Image } from '../../images/types.ts';
import type { LayerPort } from './ports.ts';

type ImageSide = { readonly images: ImageStore; readonly layers: Pick<LayerPort, 'lowerDirs'> };

const lowersOfImage = (deps: ImageSide, img: Image) => {
  const chain = chainIds(img.doc.rootfs.diff_ids);
  return chain.length > 0 ? deps.layers.lowerDirs(chain[chain.length - 1]) : [];
};

/** The image's layer dirs, top first; not-found when the image is gone. */
export function lowersOf(deps: ImageSide, c: Container): string[] {
  const img = deps.images.get(c.record.image);
  if (!img) throw notFound(`No such image: ${c.record.config.Image}`);
  return lowersOfImage(deps, img);
}

/** An image mount's image (name or ID): its ID and layer dirs, top first. */
export function imageLayers(deps: ImageSide, ref: string): { id: string; lowers: string[] } {
  const img = deps.images.resolve(ref);
  const lowers = lowersOfImage(deps, img);
  if (lowers.length === 0) throw invalidArgument(`image ${ref} has no layers to mount`);
  return { id: img.id, lowers };
}

export const upperOf = (deps: { readonly store: ContainerStore }, c: Container) =>
  join(deps.store.dir(c.record.id), 'upper');
