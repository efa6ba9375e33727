// POST /images/create?fromSrc=-: one layer from a (compressed) tar, an image config with
// the requested changes, an optional tag. The whole import finishes before any byte of
// the response, so a bad tar is a 400 and nothing is recorded.
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { chainIds } from '../../common/digest.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { parseReference, validateTag, familiarString, type Reference } from '../../common/reference.ts';
import { applyChanges } from '../../images/changes.ts';
import type { ImageDocument } from '../../oci/image-spec.ts';
import { dockerArch, type ImageDeps } from './deps.ts';

export interface ImportRequest {
  src: Readable;
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  platform?: string;
}

/** `repo` may carry its own tag (`x:1`); a separate `tag` then must not also be given. */
export function importTarget(repo: string | undefined, tag: string | undefined): Reference | undefined {
  if (!repo) return undefined;
  const ref = parseReference(repo);
  if (ref.digest) throw invalidArgument('cannot import digest reference');
  if (tag) {
    if (ref.tag) throw invalidArgument('invalid reference format: tag given twice');
    return { ...ref, tag: validateTag(tag) };
  }
  return ref.tag ? ref : { ...ref, tag: 'latest' };
}

export async function importImage(
  deps: ImageDeps,
  ctx: OpContext,
  req: ImportRequest,
): Promise<{ id: string; ref?: string }> {
  const target = importTarget(req.repo, req.tag);
  const config = applyChanges({}, req.changes ?? []);
  if (req.platform && !/^linux(\/|$)/.test(req.platform))
    throw invalidArgument(`unsupported platform: ${req.platform}`);

  const plain = await deps.decompress(req.src);
  // The layer tar is kept as a blob too (digest = diffID), so save/push can send the
  // exact bytes; both consumers see the same stream.
  const writer = await deps.content.openWriter();
  const toBlob = new PassThrough();
  const toLayer = new PassThrough();
  plain.on('data', (c: Buffer) => {
    const a = toBlob.write(c);
    const b = toLayer.write(c);
    if (!a || !b) {
      plain.pause();
      let waiting = (a ? 0 : 1) + (b ? 0 : 1);
      const go = () => {
        if (--waiting === 0) plain.resume();
      };
      if (!a) toBlob.once('drain', go);
      if (!b) toLayer.once('drain', go);
    }
  });
  plain.on('end', () => {
    toBlob.end();
    toLayer.end();
  });
  plain.on('error', (e) => {
    toBlob.destroy(e);
    toLayer.destroy(e);
  });
  // A client that leaves mid-upload: both consumers fail, so nothing half made is kept.
  const onAbort = () => plain.destroy(new Error('import cancelled: the client went away'));
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  // Each consumer sees a failure through its own pipeline or iterator; these listeners
  // only keep an error that arrives before a consumer is attached from being unhandled
  // (which would take the whole daemon down on a corrupt upload).
  toBlob.on('error', () => {});
  toLayer.on('error', () => {});
  const blobDone = pipeline(toBlob, writer.transform(), createWriteStream(writer.tmpPath, { mode: 0o600 }));
  const layerDone = deps.layers.register(null, toLayer);
  // The first failure is the cause; it stops the other consumer so neither waits forever.
  let firstError: unknown;
  const stop = (err: unknown) => {
    if (firstError === undefined) firstError = err;
    plain.destroy();
    toBlob.destroy();
    toLayer.destroy();
  };
  blobDone.catch(stop);
  layerDone.catch(stop);
  // Both settle before we answer: a rejected layer's tmp dir and the ingest file are gone
  // by the time the client sees the 400.
  const [layerResult] = await Promise.allSettled([layerDone, blobDone]);
  if (firstError !== undefined || layerResult.status === 'rejected') {
    await writer.abort();
    throw firstError ?? (layerResult as PromiseRejectedResult).reason;
  }
  const layer = layerResult.value;
  await writer.commitFile();

  const now = new Date().toISOString();
  const doc: ImageDocument = {
    architecture: dockerArch(),
    os: 'linux',
    created: now,
    config,
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created: now, comment: req.message || 'Imported from -' }],
  };
  if (req.message) doc.comment = req.message;
  const img = await deps.images.create(doc, chainIds(doc.rootfs.diff_ids));
  deps.events.publish('image', 'import', img.id, {});
  if (target) {
    await deps.images.tag(img.id, target);
    deps.events.publish('image', 'tag', img.id, { name: familiarString(target) });
  }
  return { id: img.id, ref: target ? familiarString(target) : undefined };
}
