// list, tag, remove and prune of images, with Docker's rules for untag vs delete and
// the conflicts that protect images containers still use.
import { chainIds, type Digest } from '../../common/digest.ts';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { familiarString, parseReference, validateTag, withDefaultTag, type Reference } from '../../common/reference.ts';
import type { Image } from '../../images/types.ts';
import type { ImageDeps } from './deps.ts';
import { usesImage } from '../containers/mount-points.ts';
import { imageSummary } from './views.ts';
import { shortId } from '../../common/ids.ts';
import { matchLabels, matchNotLabels, parseTimeFilter } from '../filters.ts';
import type { ImageDeleteResponseItem, ImagePruneResponse, ImageSummary } from '../../api/types/images.ts';

const LIST_FILTERS = ['reference', 'dangling', 'label', 'before', 'since', 'until'];

function isIntermediate(deps: ImageDeps, img: Image): boolean {
  return deps.images.tagsOf(img.id).length === 0 && deps.images.children(img.id).length > 0;
}

function matchReference(deps: ImageDeps, img: Image, patterns: string[]): boolean {
  const refs = deps.images.tagsOf(img.id);
  return patterns.some((p) => {
    const re = globToRegex(p.includes(':') || p.includes('@') ? p : `${p}`);
    return refs.some((r) => re.test(r) || (!p.includes(':') && re.test(r.split(':')[0])));
  });
}

function globToRegex(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${esc}$`);
}

export function listImages(
  deps: ImageDeps,
  opts: { all?: boolean; filters?: Map<string, string[]>; containers?: boolean },
): ImageSummary[] {
  const f = opts.filters ?? new Map<string, string[]>();
  for (const k of f.keys()) if (!LIST_FILTERS.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const dangling = f.get('dangling');
  if (dangling && !dangling.every((d) => ['true', 'false', '1', '0'].includes(d))) {
    throw invalidArgument(`invalid filter 'dangling=${dangling[0]}'`);
  }
  const createdOf = (name: string) => Date.parse(deps.images.resolve(name).doc.created ?? '');
  const before = f.get('before')?.map(createdOf);
  const since = f.get('since')?.map(createdOf);
  const until = f.get('until')?.map((u) => parseTimeFilter(u));
  let list = deps.images.list().filter((img) => {
    const tags = deps.images.tagsOf(img.id);
    if (!opts.all && !dangling && isIntermediate(deps, img)) return false;
    if (dangling) {
      const want = dangling[0] === 'true' || dangling[0] === '1';
      if ((tags.length === 0 && !isIntermediate(deps, img)) !== want) return false;
    }
    if (f.has('reference') && !matchReference(deps, img, f.get('reference')!)) return false;
    if (!matchLabels(img.doc.config?.Labels ?? {}, f.get('label'))) return false;
    const created = Date.parse(img.doc.created ?? '');
    if (before && !before.every((t) => created < t)) return false;
    if (since && !since.every((t) => created > t)) return false;
    if (until && !until.every((t) => created < t)) return false;
    return true;
  });
  list = list.sort((a, b) => Date.parse(b.doc.created ?? '') - Date.parse(a.doc.created ?? ''));
  return list.map((img) => imageSummary(deps, img, { containers: opts.containers }));
}

export async function tagImage(
  deps: ImageDeps,
  source: string,
  repo: string | undefined,
  tag: string | undefined,
): Promise<void> {
  if (!repo) throw invalidArgument('repository name must have at least one component');
  const img = deps.images.resolve(source);
  let ref: Reference = parseReference(repo);
  if (ref.digest) throw invalidArgument('refusing to create a tag with a digest reference');
  if (tag) {
    if (ref.tag) throw invalidArgument('invalid reference format');
    ref = { ...ref, tag: validateTag(tag) };
  }
  await deps.images.tag(img.id, withDefaultTag(ref));
  deps.events.publish('image', 'tag', img.id, { name: familiarString(withDefaultTag(ref)) });
}

/** Releases layers no remaining image uses. */
async function releaseLayers(deps: ImageDeps, img: Image): Promise<void> {
  const inUse = new Set<Digest>();
  for (const other of deps.images.list()) for (const c of chainIds(other.doc.rootfs.diff_ids)) inUse.add(c);
  const chain = chainIds(img.doc.rootfs.diff_ids);
  for (const c of chain.reverse()) {
    if (inUse.has(c)) continue;
    await deps.layers.remove(c);
  }
  // The layer tar blobs kept beside them.
  const liveDiffs = new Set(deps.images.list().flatMap((i) => i.doc.rootfs.diff_ids));
  for (const d of img.doc.rootfs.diff_ids) if (!liveDiffs.has(d)) await deps.content.delete(d);
}

async function deleteImage(deps: ImageDeps, img: Image, out: ImageDeleteResponseItem[], prune: boolean): Promise<void> {
  await deps.images.delete(img.id);
  await releaseLayers(deps, img);
  out.push({ Deleted: img.id });
  deps.events.publish('image', 'delete', img.id, {});
  if (!prune || !img.meta.parent) return;
  const parent = deps.images.get(img.meta.parent);
  if (
    parent &&
    deps.images.tagsOf(parent.id).length === 0 &&
    deps.images.children(parent.id).length === 0 &&
    !deps.containers.list().some((c) => usesImage(c.record, parent.id))
  ) {
    await deleteImage(deps, parent, out, true);
  }
}

export async function removeImage(
  deps: ImageDeps,
  name: string,
  opts: { force?: boolean; noprune?: boolean },
): Promise<ImageDeleteResponseItem[]> {
  const img = deps.images.resolve(name);
  const out: ImageDeleteResponseItem[] = [];
  const users = deps.containers.list().filter((c) => usesImage(c.record, img.id));
  const running = users.find((c) => ['running', 'paused', 'restarting'].includes(c.runtime.state.Status));
  const refs = deps.images.refsOf(img.id);
  let byRef: Reference | undefined;
  try {
    const r = withDefaultTag(parseReference(name));
    if (deps.images.lookupRef(r) === img.id) byRef = r;
  } catch {
    /* an ID */
  }

  if (byRef) {
    // Removing by name with more names left, or with containers using it: untag only.
    if (refs.length > 1 || (users.length > 0 && opts.force)) {
      await deps.images.untag(byRef);
      out.push({ Untagged: familiarString(byRef) });
      deps.events.publish('image', 'untag', img.id, { name: familiarString(byRef) });
      return out;
    }
    if (users.length > 0) {
      throw conflict(
        `conflict: unable to remove repository reference "${name}" (must force) - container ${users[0].record.id.slice(0, 12)} is using its referenced image ${shortId(img.id)}`,
      );
    }
  } else {
    if (running) {
      throw conflict(
        `conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${running.record.id.slice(0, 12)}`,
      );
    }
    if (users.length > 0 && !opts.force) {
      throw conflict(
        `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${users[0].record.id.slice(0, 12)}`,
      );
    }
    if (refs.length > 1 && !opts.force) {
      throw conflict(
        `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
  }
  if (deps.images.children(img.id).length > 0) {
    for (const r of refs) {
      await deps.images.untag(r);
      out.push({ Untagged: familiarString(r) });
    }
    if (!byRef)
      throw conflict(
        `conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image has dependent child images`,
      );
    return out;
  }
  for (const r of refs) {
    await deps.images.untag(r);
    out.push({ Untagged: familiarString(r) });
    deps.events.publish('image', 'untag', img.id, { name: familiarString(r) });
  }
  if (users.length > 0) return out; // forced: the containers keep the image, now untagged
  await deleteImage(deps, img, out, !opts.noprune);
  return out;
}

export async function pruneImages(
  deps: ImageDeps,
  ctx: OpContext,
  filters: Map<string, string[]>,
): Promise<ImagePruneResponse> {
  for (const k of filters.keys())
    if (!['dangling', 'until', 'label', 'label!'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const danglingOnly = !['false', '0'].includes(filters.get('dangling')?.[0] ?? 'true');
  const until = filters.get('until')?.map((u) => parseTimeFilter(u));
  const deleted: ImageDeleteResponseItem[] = [];
  let reclaimed = 0;
  let progress = true;
  // A client that leaves stops the prune between images: what was deleted is reported.
  while (progress && !ctx.signal.aborted) {
    progress = false;
    for (const img of deps.images.list()) {
      if (ctx.signal.aborted) break;
      if (!deps.images.get(img.id)) continue;
      if (deps.containers.list().some((c) => usesImage(c.record, img.id))) continue;
      if (deps.images.children(img.id).length > 0) continue;
      const tagged = deps.images.tagsOf(img.id).length > 0;
      if (danglingOnly && tagged) continue;
      if (until && !until.every((t) => Date.parse(img.doc.created ?? '') < t)) continue;
      const labels = img.doc.config?.Labels ?? {};
      if (!matchLabels(labels, filters.get('label')) || !matchNotLabels(labels, filters.get('label!'))) continue;
      const out: ImageDeleteResponseItem[] = [];
      for (const r of deps.images.refsOf(img.id)) {
        await deps.images.untag(r);
        out.push({ Untagged: familiarString(r) });
      }
      await deleteImage(deps, img, out, false);
      reclaimed += img.size;
      deleted.push(...out);
      progress = true;
    }
  }
  if (deleted.length) deps.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}

export function resolveImage(deps: ImageDeps, name: string): Image {
  return deps.images.resolve(name);
}
