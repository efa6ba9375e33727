// Where a container's filesystem lives: its image's layer dirs (top first) under its own
// upper dir. Shared by the supervisor (the task's rootfs), exec (the user's files), diff,
// commit, export and cp.
import { join } from 'node:path';
import { chainIds } from '../../common/digest.ts';
import { notFound } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { ImageStore } from '../../images/store.ts';
import type { LayerPort } from './ports.ts';

/** The image's layer dirs, top first; not-found when the image is gone. */
export function lowersOf(deps: { readonly images: ImageStore; readonly layers: LayerPort }, c: Container): string[] {
  const img = deps.images.get(c.record.image);
  if (!img) throw notFound(`No such image: ${c.record.config.Image}`);
  const chain = chainIds(img.doc.rootfs.diff_ids);
  return chain.length > 0 ? deps.layers.lowerDirs(chain[chain.length - 1]) : [];
}

export const upperOf = (deps: { readonly store: ContainerStore }, c: Container) =>
  join(deps.store.dir(c.record.id), 'upper');
