// POST /commit: a new image from a container's upper dir. The layer tar is written once
// into the content store (digest = diffID) and the layer store unpacks exactly those
// bytes; the image config is the container's (with the request's config and `changes`
// over it, merged as Docker does), on top of the parent image's layers and history.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { chainIds, type Digest } from '../../common/digest.ts';
import { conflict, invalidArgument, messageOf } from '../../common/errors.ts';
import { familiarString } from '../../common/reference.ts';
import { applyChanges } from '../../images/changes.ts';
import type { ImageDocument, RunConfig } from '../../oci/image-spec.ts';
import { closeFd } from '../../sys/libc.ts';
import { openRoot } from '../../sys/inroot.ts';
import { TarWriter } from '../../tar/writer.ts';
import { tarEntry } from '../../snapshots/tree-tar.ts';
import { idShiftOf } from './userns.ts';
import { importTarget } from '../images/import.ts';
import { dockerArch } from '../images/deps.ts';
import type { OpContext } from '../../common/context.ts';
import type { FsDeps } from './fs-ports.ts';
import { mountPointsOf } from './fs-common.ts';
import { lowersOf, upperOf } from './rootfs.ts';

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Freeze a running container while its upper dir is read (Docker's default: true). */
  pause: boolean;
  changes: string[];
  /** The request body: Config fields that override the container's. */
  config?: RunConfig;
}

/** sha256 of an empty tar (1024 zero bytes): Docker marks such a layer empty_layer. */
const EMPTY_TAR: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** A client that hangs up while the layer is written cancels the commit (nothing is kept). */
export async function commitContainer(
  deps: Pick<FsDeps, 'containers' | 'images'>,
  ctx: OpContext,
  idOrName: string,
  req: CommitOptions,
): Promise<{ Id: string }> {
  const cd = deps.containers;
  const c = cd.store.resolve(idOrName);
  const target = importTarget(req.repo || undefined, req.tag || undefined);
  const st = c.runtime.state.Status;
  if (st === 'removing' || st === 'dead') throw conflict(`container ${c.record.name} is marked for removal`);
  const parent = cd.images.get(c.record.image);
  if (!parent) throw conflict(`the image of container ${c.record.name} is gone`);
  const config = mergeConfig(
    applyChanges(req.config && Object.keys(req.config).length ? req.config : c.record.config, req.changes),
    c.record.config,
  );

  const diffId = await writeLayerBlob(deps, ctx, c, req.pause);
  const parentDiffs = parent.doc.rootfs.diff_ids;
  const empty = diffId === EMPTY_TAR;
  const diffIds = empty ? [...parentDiffs] : [...parentDiffs, diffId];
  if (!empty) {
    const parentChain = chainIds(parentDiffs);
    const layer = await deps.images.layers.register(parentChain.at(-1) ?? null, deps.images.content.readStream(diffId));
    if (layer.diffId !== diffId) throw new Error(`layer ${layer.diffId} does not match its blob ${diffId}`);
  }

  const now = new Date().toISOString();
  const doc: ImageDocument = {
    architecture: parent.doc.architecture || dockerArch(),
    os: parent.doc.os || 'linux',
    created: now,
    config,
    container: c.record.id,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...(parent.doc.history ?? []),
      {
        created: now,
        created_by: (c.record.config.Cmd ?? []).join(' '),
        ...(req.author ? { author: req.author } : {}),
        ...(req.comment ? { comment: req.comment } : {}),
        ...(empty ? { empty_layer: true } : {}),
      },
    ],
  };
  if (parent.doc.variant) doc.variant = parent.doc.variant;
  if (req.author) doc.author = req.author;
  if (req.comment) doc.comment = req.comment;
  const img = await cd.images.create(doc, chainIds(diffIds), { parent: parent.id });
  const ref = target ? familiarString(target) : '';
  if (target) {
    await cd.images.tag(img.id, target);
    cd.events.publish('image', 'tag', img.id, { name: ref });
  }
  cd.events.publish('container', 'commit', c.record.id, { comment: req.comment ?? '', imageID: img.id, imageRef: ref });
  return { Id: img.id };
}

/** The upper dir as an OCI layer tar, stored as a blob; returns its digest (the diffID). `ctx.signal` stops the walk. */
export async function writeLayerBlob(
  deps: Pick<FsDeps, 'containers' | 'images'>,
  ctx: OpContext,
  c: ReturnType<FsDeps['containers']['store']['resolve']>,
  pause: boolean,
): Promise<Digest> {
  const cd = deps.containers;
  const task = cd.live.peek(c.record.id)?.task;
  const frozen = pause && c.runtime.state.Status === 'running' && task ? task : undefined;
  const content = deps.images.content;
  const writer = await content.openWriter();
  const upperFd = openRoot(upperOf(cd, c));
  try {
    if (frozen) await frozen.pause();
    try {
      const w = new TarWriter();
      const produce = (async () => {
        await tarEntry(w, upperFd, null, '', {
          upper: { lowers: lowersOf(cd, c), mountPoints: mountPointsOf(c) },
          signal: ctx.signal,
          // A remapped container's upper dir holds host ids: the layer records its own.
          mapIds: idShiftOf(cd.settings, c.record.hostConfig)?.toContainer,
        });
        await w.finish();
      })();
      produce.catch((err) => w.stream.destroy(err as Error));
      await Promise.all([
        produce,
        pipeline(w.stream, writer.transform(), createWriteStream(writer.tmpPath, { mode: 0o600 })),
      ]);
    } finally {
      if (frozen)
        await frozen
          .resume()
          .catch((err) =>
            ctx.log.warn('resuming after commit failed', { container: c.record.id, err: messageOf(err) }),
          );
    }
    return (await writer.commitFile()).digest;
  } catch (err) {
    await writer.abort();
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw invalidArgument(`container ${c.record.name} has no filesystem to commit`, err);
    throw err;
  } finally {
    closeFd(upperFd);
  }
}

/**
 * Docker's commit merge: fields the new config leaves empty come from the container's
 * (Env and Labels merged key by key, ExposedPorts and Volumes unioned; Cmd only when
 * neither Cmd nor Entrypoint is set).
 */
export function mergeConfig(user: RunConfig, ctr: RunConfig): RunConfig {
  const out: RunConfig = { ...user };
  if (!out.User) out.User = ctr.User;
  if (ctr.Env?.length) {
    const have = new Set((out.Env ?? []).map((e) => e.split('=')[0]));
    out.Env = [...(out.Env ?? []), ...ctr.Env.filter((e) => !have.has(e.split('=')[0]))];
  }
  if (ctr.Labels) out.Labels = { ...ctr.Labels, ...out.Labels };
  if (ctr.ExposedPorts) out.ExposedPorts = { ...ctr.ExposedPorts, ...out.ExposedPorts };
  if (!out.Cmd?.length && !out.Entrypoint?.length) {
    out.Cmd = ctr.Cmd;
    if (!out.Entrypoint?.length) out.Entrypoint = ctr.Entrypoint;
  }
  if (!out.Entrypoint?.length && !out.Cmd?.length) out.Entrypoint = ctr.Entrypoint;
  if (!out.OnBuild?.length) out.OnBuild = ctr.OnBuild;
  if (!out.WorkingDir) out.WorkingDir = ctr.WorkingDir;
  if (ctr.Volumes) out.Volumes = { ...ctr.Volumes, ...out.Volumes };
  if (!out.StopSignal) out.StopSignal = ctr.StopSignal;
  for (const k of Object.keys(out) as (keyof RunConfig)[]) if (out[k] === undefined) delete out[k];
  delete (out as { Image?: string }).Image;
  return out;
}
