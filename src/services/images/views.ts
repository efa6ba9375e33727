// Docker's wire shapes for images: list summary, inspect document, history.
import { chainIds, type Digest } from '../../common/digest.ts';
import type { Image } from '../../images/types.ts';
import type { ImageDeps } from './deps.ts';
import { usesImage } from '../containers/mount-points.ts';
import type { ImageHistoryResponseItem, ImageInspect, ImageSummary } from '../../api/types/images.ts';

const unix = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

export function containersUsing(deps: ImageDeps, id: Digest): number {
  return deps.containers.list().filter((c) => usesImage(c.record, id)).length;
}

export function imageSummary(deps: ImageDeps, img: Image, opts: { containers?: boolean } = {}): ImageSummary {
  return {
    Id: img.id,
    ParentId: img.meta.parent ?? '',
    RepoTags: deps.images.tagsOf(img.id),
    RepoDigests: deps.images.digestsOf(img.id),
    Created: unix(img.doc.created),
    Size: img.size,
    SharedSize: -1,
    VirtualSize: img.size,
    Labels: img.doc.config?.Labels ?? {},
    Containers: opts.containers ? containersUsing(deps, img.id) : -1,
  };
}

export function imageInspect(deps: ImageDeps, img: Image): ImageInspect {
  const chain = chainIds(img.doc.rootfs.diff_ids);
  const dirs = chain.map((c) => deps.layers.diffDir(c)).reverse();
  const cfg = img.doc.config ?? {};
  return {
    Id: img.id,
    RepoTags: deps.images.tagsOf(img.id),
    RepoDigests: deps.images.digestsOf(img.id),
    Parent: img.meta.parent ?? '',
    Comment: img.doc.comment ?? '',
    Created: img.doc.created ?? '',
    DockerVersion: img.doc.docker_version ?? '',
    Author: img.doc.author ?? '',
    Config: {
      Hostname: cfg.Hostname ?? '',
      Domainname: cfg.Domainname ?? '',
      User: cfg.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(cfg.ExposedPorts ? { ExposedPorts: cfg.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: cfg.Env ?? null,
      Cmd: cfg.Cmd ?? null,
      Image: cfg.Image ?? '',
      Volumes: cfg.Volumes ?? null,
      WorkingDir: cfg.WorkingDir ?? '',
      Entrypoint: cfg.Entrypoint ?? null,
      OnBuild: cfg.OnBuild ?? null,
      Labels: cfg.Labels ?? null,
      ...(cfg.StopSignal ? { StopSignal: cfg.StopSignal } : {}),
      ...(cfg.Healthcheck ? { Healthcheck: cfg.Healthcheck } : {}),
      ...(cfg.Shell ? { Shell: cfg.Shell } : {}),
    },
    Architecture: img.doc.architecture,
    ...(img.doc.variant ? { Variant: img.doc.variant } : {}),
    Os: img.doc.os,
    Size: img.size,
    GraphDriver: {
      Name: 'overlay2',
      Data:
        dirs.length > 1
          ? { LowerDir: dirs.slice(1).join(':'), MergedDir: '', UpperDir: dirs[0], WorkDir: '' }
          : { MergedDir: '', UpperDir: dirs[0] ?? '', WorkDir: '' },
    },
    RootFS: { Type: 'layers', Layers: img.doc.rootfs.diff_ids },
    Metadata: { LastTagTime: img.meta.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

/** Newest first; non-empty history entries are matched to layers from the bottom up. */
export function imageHistory(deps: ImageDeps, img: Image): ImageHistoryResponseItem[] {
  const out: ImageHistoryResponseItem[] = [];
  const chain = chainIds(img.doc.rootfs.diff_ids);
  const history = img.doc.history ?? [];
  let layerIdx = 0;
  for (const h of history) {
    let size = 0;
    if (!h.empty_layer && layerIdx < chain.length) {
      const c = chain[layerIdx++];
      size = deps.layers.has(c) ? deps.layers.size(c) : 0;
    }
    out.push({
      Id: '<missing>',
      Created: unix(h.created),
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  out.reverse();
  // Walk the parent chain: each local ancestor owns the top entries of its own history.
  let cur: Image | undefined = img;
  let idx = 0;
  while (cur && idx < out.length) {
    out[idx].Id = cur.id;
    const tags = deps.images.tagsOf(cur.id);
    out[idx].Tags = tags.length ? tags : null;
    const parent: Image | undefined = cur.meta.parent ? deps.images.get(cur.meta.parent) : undefined;
    idx += (cur.doc.history?.length ?? 0) - (parent?.doc.history?.length ?? 0);
    cur = parent;
  }
  return out;
}
