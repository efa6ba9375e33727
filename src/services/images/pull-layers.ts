// The layer phase of a pull. Missing blobs download in parallel (bounded, shared with
// concurrent pulls) into the content store. Each missing layer is unpacked as soon as its
// download starts — following the bytes as they land (follow.ts) — into a private
// directory, several layers at once since unpacking needs no parent; each is committed in
// order once its blob's digest is verified and its parent is in place. Commits defer their
// syncfs: the pull flushes once, before it records the image.
//
// Work shared between pulls (downloads, registrations) waits only on other shared work,
// never on one pull's own promises, so a pull that goes away does not fail another.
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import type { OpContext } from '../../common/context.ts';
import type { Digest } from '../../common/digest.ts';
import { BerthError, internal, invalidArgument } from '../../common/errors.ts';
import type { Descriptor } from '../../oci/image-spec.ts';
import type { RegistryClient } from '../../registry/client.ts';
import type { ExtractedLayer } from './deps.ts';
import { bar, type DistributionDeps, type Emit } from './distribution-deps.ts';
import { follow, Growth } from './follow.ts';
import { limiter } from './inflight.ts';
import { shortId } from '../../common/ids.ts';

export interface LayerPlan {
  repo: string;
  layers: Descriptor[];
  diffIds: Digest[];
  chain: Digest[];
  missing: boolean[];
}

export interface Made {
  blobs: Digest[];
  layers: Digest[];
}

/** Downloads and registers the plan's missing layers; throws the first failure once all work has stopped. */
export async function pullLayers(
  deps: DistributionDeps,
  ctx: OpContext,
  client: RegistryClient,
  plan: LayerPlan,
  emit: Emit,
  made: Made,
): Promise<void> {
  const stop = new AbortController();
  const c: OpContext = { ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) };
  const limit = limiter(deps.maxDownloads);
  const unpackSlots = limiter(Math.max(1, deps.maxDownloads));
  const { layers, missing } = plan;
  // Resolved with the download's progress once its first bytes land (or undefined when it ends).
  const started = layers.map(() => Promise.withResolvers<Growth | undefined>());
  // The shared work this pull joined: waited for before returning, so that a failed pull
  // leaves nothing still being written behind it.
  const works: Promise<unknown>[] = [];
  const downloads = layers.map((l, i) =>
    missing[i]
      ? limit(() => download(deps, c, client, plan.repo, l, emit, made, works, started[i].resolve))
      : Promise.resolve(),
  );
  for (const [i, p] of downloads.entries()) {
    p.then(
      () => started[i].resolve(undefined),
      () => started[i].resolve(undefined),
    );
  }
  // Joined in layer order, synchronously: a layer's registration finds its parent's in flight.
  const registered = layers.map((_l, i) =>
    missing[i] ? register(deps, c, plan, i, started[i].promise, unpackSlots, emit, made, works) : Promise.resolve(),
  );
  const all = [...downloads, ...registered];
  for (const p of all)
    p.catch((err) => {
      if (!stop.signal.aborted) stop.abort(err);
    });
  const results = await Promise.allSettled(all);
  await Promise.allSettled(works);
  if (stop.signal.aborted) throw stop.signal.reason;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

async function download(
  deps: DistributionDeps,
  ctx: OpContext,
  client: RegistryClient,
  repo: string,
  l: Descriptor,
  emit: Emit,
  made: Made,
  works: Promise<unknown>[],
  onStart?: (g: Growth) => void,
): Promise<void> {
  ctx.signal.throwIfAborted(); // queued behind others while the pull failed
  const digest = l.digest as Digest;
  const id = shortId(digest);
  const have = await deps.content.info(digest);
  if (have && have.size === l.size) {
    emit({ status: 'Download complete', progressDetail: {}, id });
    return;
  }
  emit({ status: 'Waiting', progressDetail: {}, id });
  let last = 0;
  const onProgress = (n: number) => {
    if (n - last < 512 * 1024 && n !== l.size) return;
    last = n;
    emit({ status: 'Downloading', progressDetail: { current: n, total: l.size }, progress: bar(n, l.size), id });
  };
  const joined = deps.downloads.join(
    digest,
    ctx.signal,
    async (signal, progress) => {
      const w = await deps.content.openWriter();
      let g: Growth | undefined;
      const grow = (n: number) => {
        if (!g) {
          g = new Growth(w.tmpPath, l.size);
          onStart?.(g);
        }
        g.update(n);
        progress(n);
      };
      try {
        await client.downloadBlob(repo, digest, l.size, w.tmpPath, { signal, onProgress: grow });
        await deps.content.publish(w.tmpPath, digest);
        made.blobs.push(digest);
      } catch (err) {
        g?.fail(err);
        await rm(w.tmpPath, { force: true });
        throw err;
      }
    },
    onProgress,
  );
  works.push(deps.downloads.work(digest) ?? Promise.resolve());
  await joined;
  emit({ status: 'Verifying Checksum', progressDetail: {}, id });
  emit({ status: 'Download complete', progressDetail: {}, id });
}

/** The blob is in the content store, its digest checked (waits for a download in flight). */
async function verified(deps: DistributionDeps, digest: Digest): Promise<void> {
  await deps.downloads.work(digest);
  if (!(await deps.content.info(digest))) throw internal(`layer blob ${digest} was not downloaded`);
}

/** Counts decompressed bytes and fails past `max` (a decompression bomb). */
function capped(max: number, what: string): Transform {
  let n = 0;
  return new Transform({
    transform(ch: Buffer, _e, cb) {
      n += ch.length;
      if (n > max)
        cb(invalidArgument(`layer ${what} decompresses to more than ${max} bytes: refusing it (decompression bomb?)`));
      else cb(null, ch);
    },
  });
}

function register(
  deps: DistributionDeps,
  ctx: OpContext,
  plan: LayerPlan,
  i: number,
  start: Promise<Growth | undefined>,
  slots: <T>(fn: () => Promise<T>) => Promise<T>,
  emit: Emit,
  made: Made,
  works: Promise<unknown>[],
): Promise<void> {
  const l = plan.layers[i];
  const chainId = plan.chain[i];
  const parent = i === 0 ? null : plan.chain[i - 1];
  const done = deps.registers.join(chainId, ctx.signal, async (signal) => {
    if (deps.layers.has(chainId)) return chainId;
    const x = await unpackLayer(deps, l, plan.diffIds[i], start, slots, signal, emit);
    try {
      await verified(deps, l.digest as Digest);
      if (parent !== null) await deps.registers.work(parent);
      const res = await deps.layers.commit(x, parent, { deferSync: true });
      made.layers.push(res.chainId);
      return res.chainId;
    } catch (err) {
      await deps.layers.discard(x);
      throw err;
    }
  });
  works.push(deps.registers.work(chainId) ?? Promise.resolve());
  return done.then(() => emit({ status: 'Pull complete', progressDetail: {}, id: shortId(l.digest) }));
}

/** Unpacks a layer while it downloads, or from the stored blob (after a restarted download, or when it is already there). */
async function unpackLayer(
  deps: DistributionDeps,
  l: Descriptor,
  diffId: Digest,
  start: Promise<Growth | undefined>,
  slots: <T>(fn: () => Promise<T>) => Promise<T>,
  signal: AbortSignal,
  emit: Emit,
): Promise<ExtractedLayer> {
  const g = await start;
  const live = g && !g.failed ? await follow(g) : undefined;
  if (live && g) {
    try {
      return await slots(() => extract(deps, l, diffId, live, signal, emit));
    } catch (err) {
      // The download's own error says more than a follower cut short.
      await deps.downloads.work(l.digest);
      if (!g.restarted) throw err;
    } finally {
      live.destroy();
    }
  }
  await verified(deps, l.digest as Digest);
  return slots(() => extract(deps, l, diffId, deps.content.readStream(l.digest as Digest), signal, emit));
}

async function extract(
  deps: DistributionDeps,
  l: Descriptor,
  diffId: Digest,
  src: Readable,
  signal: AbortSignal,
  emit: Emit,
): Promise<ExtractedLayer> {
  const id = shortId(l.digest);
  const exp = deps.maxExpansion ?? { ratio: 100, floor: 256 << 20 };
  const max = Math.max(exp.floor, l.size * exp.ratio);
  let read = 0;
  let lastEmit = 0;
  src.on('data', (ch: Buffer) => {
    read += ch.length;
    if (read - lastEmit >= 1 << 20 || read === l.size) {
      lastEmit = read;
      emit({ status: 'Extracting', progressDetail: { current: read, total: l.size }, progress: bar(read, l.size), id });
    }
  });
  const onAbort = () => src.destroy(new BerthError('internal', 'pull cancelled'));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const plain = await deps.decompress(src);
    const limited = plain.pipe(capped(max, l.digest));
    plain.on('error', (e) => limited.destroy(e));
    const x = await deps.layers.extract(limited);
    if (x.diffId !== diffId) {
      await deps.layers.discard(x);
      throw invalidArgument(
        `layer ${l.digest}: uncompressed content has diffID ${x.diffId}, the config says ${diffId}`,
      );
    }
    return x;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
