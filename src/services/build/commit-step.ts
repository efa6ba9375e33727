// A build step's image: a layer (from a container's upper dir or a ready tar) on the
// parent's chain, the step's config, and the parent's history plus the step's entry.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { chainIds, type Digest } from '../../common/digest.ts';
import type { HistoryEntry, ImageDocument, RunConfig } from '../../oci/image-spec.ts';
import { dockerArch } from '../images/deps.ts';
import { writeLayerBlob } from '../containers/commit.ts';
import { background } from '../../common/context.ts';
import type { FsDeps } from '../containers/fs-ports.ts';

const EMPTY_TAR: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

async function storeTar(deps: FsDeps, tar: Readable): Promise<Digest> {
  const w = await deps.images.content.openWriter();
  try {
    await pipeline(tar, w.transform(), createWriteStream(w.tmpPath, { mode: 0o600 }));
    return (await w.commitFile()).digest;
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** A step's config as an image stores it: keys left undefined are dropped. */
export function storedConfig(config: RunConfig): RunConfig {
  const cfg: RunConfig = { ...config };
  for (const k of Object.keys(cfg) as (keyof RunConfig)[]) if (cfg[k] === undefined) delete cfg[k];
  return cfg;
}

export async function commitStep(
  deps: FsDeps,
  from: { container: string } | { tar: Readable } | null,
  parentId: string,
  config: RunConfig,
  history: HistoryEntry,
): Promise<string> {
  const images = deps.containers.images;
  const parent = parentId ? images.get(parentId as Digest) : undefined;
  if (parentId && !parent) throw new Error(`parent image ${parentId} is gone`);
  let diffId: Digest | undefined;
  if (from && 'container' in from)
    diffId = await writeLayerBlob(deps, background(), deps.containers.store.resolve(from.container), false);
  else if (from) diffId = await storeTar(deps, from.tar);
  const parentDiffs = parent?.doc.rootfs.diff_ids ?? [];
  const empty = diffId === undefined || (diffId === EMPTY_TAR && parentDiffs.length > 0);
  const diffIds = empty ? [...parentDiffs] : [...parentDiffs, diffId!];
  if (!empty) {
    const layer = await deps.images.layers.register(
      chainIds(parentDiffs).at(-1) ?? null,
      deps.images.content.readStream(diffId!),
    );
    if (layer.diffId !== diffId) throw new Error(`layer ${layer.diffId} does not match its blob ${diffId}`);
  }
  const now = new Date().toISOString();
  const cfg = storedConfig(config);
  const doc: ImageDocument = {
    architecture: parent?.doc.architecture || dockerArch(),
    os: parent?.doc.os || 'linux',
    created: now,
    config: cfg,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...(parent?.doc.history ?? []),
      { created: now, created_by: history.created_by, ...(empty ? { empty_layer: true } : {}) },
    ],
  };
  if (parent?.doc.variant) doc.variant = parent.doc.variant;
  if (from && 'container' in from) doc.container = from.container;
  const img = await images.create(doc, chainIds(diffIds), parent ? { parent: parent.id } : {});
  return img.id;
}
