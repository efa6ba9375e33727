// `images` rows: docker's imageContext, one row per repository:tag.

import type { ImageSummary } from '../../client/index.ts';
import { humanDuration, humanSize, humanSizeWithPrecision } from './units.ts';
import { goTimeString } from './time.ts';
import { familiar, truncateId } from './containers.ts';
import { renderRows, type Row } from './formatter.ts';

export const DEFAULT_IMAGES_FORMAT =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const DEFAULT_IMAGES_FORMAT_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGES_HEADER: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
};

/** formatter.NewImageFormat */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === '' || source === 'table') {
    if (quiet) return '{{.ID}}';
    return digest ? DEFAULT_IMAGES_FORMAT_DIGEST : DEFAULT_IMAGES_FORMAT;
  }
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  let f = source;
  if (f.startsWith('table') && digest && !f.includes('{{.Digest}}')) f += '\t{{.Digest}}';
  return f;
}

/** Split "name:tag" / "name@digest" (a ':' after the last '/' is the tag). */
function splitRef(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref };
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

export interface ImageRowOptions {
  trunc: boolean;
  digest: boolean;
  format: string;
  nowMs?: number;
}

export function imageRows(img: ImageSummary, opts: ImageRowOptions): Row[] {
  const now = opts.nowMs ?? Date.now();
  const make = (repo: string, tag: string, digest: string): Row => ({
    ID: opts.trunc ? truncateId(img.Id) : img.Id,
    Repository: repo,
    Tag: tag,
    Digest: digest,
    CreatedSince: img.Created ? `${humanDuration(now - img.Created * 1000)} ago` : '',
    CreatedAt: goTimeString(img.Created ?? 0),
    Size: humanSizeWithPrecision(img.Size ?? 0, 3),
    VirtualSize: humanSizeWithPrecision(img.VirtualSize ?? img.Size ?? 0, 3),
    Containers: img.Containers === -1 || img.Containers === undefined ? 'N/A' : String(img.Containers),
    SharedSize: img.SharedSize === -1 || img.SharedSize === undefined ? 'N/A' : humanSize(img.SharedSize),
    UniqueSize:
      img.Size === -1 || img.SharedSize === -1 || img.SharedSize === undefined
        ? 'N/A'
        : humanSize((img.Size ?? 0) - img.SharedSize),
  });
  if (isDangling(img)) return [make('<none>', '<none>', '<none>')];
  const needDigest = opts.digest || opts.format.includes('{{.Digest}}');
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const r of img.RepoTags ?? []) {
    const p = splitRef(r);
    if (p.tag === undefined) continue;
    const n = familiar(p.name);
    repoTags.set(n, [...(repoTags.get(n) ?? []), p.tag]);
  }
  for (const r of img.RepoDigests ?? []) {
    const p = splitRef(r);
    if (p.digest === undefined) continue;
    const n = familiar(p.name);
    repoDigests.set(n, [...(repoDigests.get(n) ?? []), p.digest]);
  }
  const rows: Row[] = [];
  for (const [repo, tags] of repoTags) {
    let digests = repoDigests.get(repo) ?? [];
    repoDigests.delete(repo);
    if (!needDigest) digests = [];
    for (const tag of tags) {
      if (digests.length === 0) rows.push(make(repo, tag, '<none>'));
      else for (const d of digests) rows.push(make(repo, tag, d));
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (opts.digest) for (const d of digests) rows.push(make(repo, '<none>', d));
    else rows.push(make(repo, '<none>', ''));
  }
  return rows;
}

export function renderImages(
  list: readonly ImageSummary[],
  opts: { format: string; quiet: boolean; digest: boolean; trunc: boolean; nowMs?: number },
): string {
  const format = imageFormat(opts.format, opts.quiet, opts.digest);
  const rows = list.flatMap((img) =>
    imageRows(img, { trunc: opts.trunc, digest: opts.digest, format, nowMs: opts.nowMs }),
  );
  return renderRows(format, rows, IMAGES_HEADER);
}
