// The CRI's view of the image store (the same store the Engine API serves): list, status
// and the image filesystem's usage. Names are fully qualified, as kubelet and containerd
// write them (docker.io/library/busybox:latest), never Docker's familiar short form.
import { statfs } from 'node:fs/promises';
import { chainIds } from '../../common/digest.ts';
import { fullName, parseReference, withDefaultTag } from '../../common/reference.ts';
import type * as cri from '../../cri-types/api.ts';
import type { Image } from '../../images/types.ts';
import type { ImageDeps } from '../images/deps.ts';

export function repoTagsOf(deps: ImageDeps, img: Image): string[] {
  return deps.images
    .refsOf(img.id)
    .filter((r) => r.tag && !r.digest)
    .map((r) => `${fullName(r)}:${r.tag}`)
    .sort();
}

export function repoDigestsOf(deps: ImageDeps, img: Image): string[] {
  const out = new Set<string>();
  for (const r of deps.images.refsOf(img.id)) if (r.digest) out.add(`${fullName(r)}@${r.digest}`);
  for (const d of img.meta.repoDigests ?? []) {
    try {
      const r = parseReference(d);
      out.add(`${fullName(r)}@${r.digest}`);
    } catch {
      /* a malformed record entry is not shown */
    }
  }
  return [...out].sort();
}

/** Finds an image by what kubelet may send: an ID (full or short), a tag or a digest reference. */
export function findImage(deps: ImageDeps, ref: string): Image | undefined {
  if (!ref) return undefined;
  if (/^[0-9a-f]{64}$/.test(ref)) return deps.images.get(`sha256:${ref}`);
  const byInput = deps.images.tryResolve(ref);
  if (byInput) return byInput;
  try {
    return deps.images.tryResolve(fullName(withDefaultTag(parseReference(ref))));
  } catch {
    return undefined;
  }
}

/** The image's user as the CRI reports it: a numeric uid, else a name (group part ignored). */
function imageUser(img: Image): { uid?: { value: string }; username: string } {
  const user = (img.doc.config?.User ?? '').split(':')[0];
  if (user === '') return { username: '' };
  return /^\d+$/.test(user) ? { uid: { value: user }, username: '' } : { username: user };
}

export function criImage(deps: ImageDeps, img: Image): cri.Image {
  const pinned = img.doc.config?.Labels?.['io.cri-containerd.pinned'] === 'pinned';
  return {
    id: img.id,
    repo_tags: repoTagsOf(deps, img),
    repo_digests: repoDigestsOf(deps, img),
    size: String(img.size),
    ...imageUser(img),
    spec: { image: img.id, annotations: {} },
    pinned,
  };
}

export function listImages(deps: ImageDeps, req: cri.Decoded<cri.ListImagesRequest>): cri.ListImagesResponse {
  const want = req.filter?.image?.image;
  const only = want ? findImage(deps, want) : undefined;
  if (want && !only) return { images: [] };
  const list = only ? [only] : deps.images.list();
  return { images: list.map((i) => criImage(deps, i)) };
}

export function imageStatus(deps: ImageDeps, req: cri.Decoded<cri.ImageStatusRequest>): cri.ImageStatusResponse {
  const img = findImage(deps, req.image?.image ?? '');
  if (!img) return { image: null, info: {} };
  const info: Record<string, string> = {};
  if (req.verbose) {
    info.info = JSON.stringify({
      imageSpec: img.doc,
      chainID: chainIds(img.doc.rootfs.diff_ids).at(-1) ?? '',
      size: img.size,
    });
  }
  return { image: criImage(deps, img), info };
}

/** Usage of the filesystem that holds the layers: bytes of every layer and its inodes. */
export async function imageFsInfo(deps: ImageDeps, layersRoot: string): Promise<cri.ImageFsInfoResponse> {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  let bytes = 0;
  for (const c of deps.layers.list()) bytes += deps.layers.size(c);
  const fs = await statfs(layersRoot);
  const usage: cri.FilesystemUsage = {
    timestamp: now,
    fs_id: { mountpoint: layersRoot },
    used_bytes: { value: String(bytes) },
    inodes_used: { value: String(Math.max(0, Number(fs.files) - Number(fs.ffree))) },
  };
  return { image_filesystems: [usage], container_filesystems: [] };
}
