// CRI RemoveImage: the image goes with every name it has (the CRI removes images, not
// tags); an image already gone is success (the call is idempotent). Concurrent removals
// of one image are serialized so the second sees it gone.
import type { KeyedMutex } from '../../common/mutex.ts';
import type * as cri from '../../cri-types/api.ts';
import type { ImageDeps } from '../images/deps.ts';
import { removeImage as removeEngineImage } from '../images/manage.ts';
import { findImage } from './images.ts';

export async function removeImage(
  deps: ImageDeps,
  locks: KeyedMutex,
  req: cri.Decoded<cri.RemoveImageRequest>,
): Promise<cri.RemoveImageResponse> {
  const first = findImage(deps, req.image?.image ?? '');
  if (!first) return {};
  await locks.run(`image:${first.id}`, async () => {
    if (!deps.images.get(first.id)) return;
    // By ID with force: every tag and digest goes; stopped containers keep the (untagged)
    // image they run from; a running container's image is refused.
    await removeEngineImage(deps, first.id, { force: true });
  });
  return {};
}
