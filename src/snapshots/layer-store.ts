// Unpacked image layers under <dataRoot>/layers/, one directory per chain ID:
//
//   layers/<chainid-hex>/diff/        the layer's files in overlayfs form
//   layers/<chainid-hex>/layer.json   {chainId, diffId, parent, size, tarSize}
//   layers/<chainid-hex>/unsynced     committed with deferSync, not yet flushed (swept at start-up)
//   layers/tmp-<rand>/                a register in progress (has an `incomplete` marker)
//
// Lifecycle: register() = extract() + commit(). extract() unpacks into tmp-<rand>/diff (no
// parent needed, so a pull unpacks several layers at once); commit() syncfs()es the
// filesystem so the files are durable before anything says "committed", writes layer.json
// atomically, then renames the whole directory into place — the rename is the commit. A
// directory that is already there means another register won the race: that is success.
// A pull commits with deferSync instead (an `unsynced` marker, no syncfs) and calls flush()
// once for all its layers before its image is recorded: one syncfs instead of one per layer.
// remove() renames a layer to tmp-<rand> first, so a crash mid-delete leaves only sweepable
// garbage.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { hexOf, isDigest, sha256 } from '../common/digest.ts';
import type { Digest } from '../common/digest.ts';
import { conflict, internal, invalidArgument, notFound } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';
import { fsyncDir, writeFileAtomic } from '../sys/atomic.ts';
import { syncfsAsync } from '../sys/libc.ts';
import { applyLayer } from './apply.ts';
import type { ApplyOptions } from './apply.ts';

export interface Layer {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Sum of the layer's regular file sizes. */
  size: number;
  /** Length of the uncompressed tar it came from. */
  tarSize: number;
}

const TMP_PREFIX = 'tmp-';
const QUARANTINE = 'quarantine';
const INCOMPLETE = 'incomplete';
const UNSYNCED = 'unsynced';
const RECORD = 'layer.json';

/** A layer unpacked into a private directory, not yet committed. */
export interface Extracted {
  readonly dir: string;
  readonly diffId: Digest;
  readonly size: number;
  readonly tarSize: number;
}

export class LayerStore {
  readonly dir: string;

  constructor(dataRoot: string) {
    this.dir = join(dataRoot, 'layers');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Extracts a layer tar on top of `parent` and commits it under its chain ID. */
  async register(
    parent: Digest | null,
    tar: Readable | AsyncIterable<Buffer>,
    opts: ApplyOptions = {},
  ): Promise<Layer> {
    if (parent !== null) await this.get(parent);
    return this.commit(await this.extract(tar, opts), parent);
  }

  /** Unpacks a layer tar into tmp-<rand>/diff; nothing is visible until commit(). */
  async extract(tar: Readable | AsyncIterable<Buffer>, opts: ApplyOptions = {}): Promise<Extracted> {
    await this.init();
    const tmp = join(this.dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(tmp, { mode: 0o700 });
      await writeFile(join(tmp, INCOMPLETE), '');
      const diff = join(tmp, 'diff');
      await mkdir(diff, { mode: 0o755 });
      const res = await applyLayer(diff, tar, opts);
      return { dir: tmp, diffId: res.diffId, size: res.size, tarSize: res.tarSize };
    } catch (err) {
      await this.discard({ dir: tmp });
      throw err;
    }
  }

  /** Drops an extracted layer that will not be committed. */
  async discard(x: Pick<Extracted, 'dir'>): Promise<void> {
    await rm(x.dir, { recursive: true, force: true }).catch(() => {});
  }

  /**
   * Puts an extracted layer in place on top of `parent` (which must be committed). With
   * deferSync its data is not flushed here: it carries an `unsynced` marker until flush().
   */
  async commit(x: Extracted, parent: Digest | null, opts: { deferSync?: boolean } = {}): Promise<Layer> {
    try {
      const parentLayer = parent === null ? null : await this.get(parent);
      const chainId = parentLayer === null ? x.diffId : sha256(`${parentLayer.chainId} ${x.diffId}`);
      const layer: Layer = {
        chainId,
        diffId: x.diffId,
        parent: parentLayer?.chainId ?? null,
        size: x.size,
        tarSize: x.tarSize,
      };
      // Data before metadata: flush every extracted file before the record exists (or
      // leave a marker that makes start-up discard the layer until flush() has run).
      if (opts.deferSync) await writeFile(join(x.dir, UNSYNCED), '');
      else await syncfsOf(x.dir);
      await writeFileAtomic(join(x.dir, RECORD), JSON.stringify(layer, null, 2) + '\n', 0o600);
      await rm(join(x.dir, INCOMPLETE));
      await fsyncDir(x.dir);
      const final = this.layerDir(chainId);
      try {
        await rename(x.dir, final);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await this.discard(x);
        if (!opts.deferSync) await this.flush([chainId]);
        return await this.get(chainId);
      }
      await fsyncDir(this.dir);
      return layer;
    } catch (err) {
      await this.discard(x);
      throw err;
    }
  }

  /** Makes layers committed with deferSync durable: one syncfs, then their markers go. */
  async flush(chainIds: Iterable<Digest>): Promise<void> {
    const pending: Digest[] = [];
    for (const c of chainIds) if (await exists(join(this.layerDir(c), UNSYNCED))) pending.push(c);
    if (!pending.length) return;
    await syncfsOf(this.dir);
    for (const c of pending) {
      await rm(join(this.layerDir(c), UNSYNCED), { force: true });
      await fsyncDir(this.layerDir(c));
    }
  }

  async get(chainId: Digest): Promise<Layer> {
    if (!isDigest(chainId)) throw invalidArgument(`invalid layer chain ID ${JSON.stringify(chainId)}`);
    let text: string;
    try {
      text = await readFile(join(this.layerDir(chainId), RECORD), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`layer ${chainId} not found`);
      throw err;
    }
    return parseRecord(text, chainId);
  }

  async has(chainId: Digest): Promise<boolean> {
    try {
      await this.get(chainId);
      return true;
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not-found') return false;
      throw err;
    }
  }

  async list(): Promise<Layer[]> {
    const out: Layer[] = [];
    for (const name of await this.names()) {
      try {
        out.push(await this.get(`sha256:${name}`));
      } catch {
        /* unreadable records are sweep()'s business */
      }
    }
    return out;
  }

  /** Deletes a layer; refuses while another layer names it as parent. */
  async remove(chainId: Digest): Promise<void> {
    await this.get(chainId);
    const children = (await this.list()).filter((l) => l.parent === chainId);
    if (children.length > 0) throw conflict(`layer ${chainId} is the parent of ${children.length} other layer(s)`);
    const doomed = join(this.dir, `${TMP_PREFIX}rm-${randomBytes(8).toString('hex')}`);
    await rename(this.layerDir(chainId), doomed);
    await fsyncDir(this.dir);
    await rm(doomed, { recursive: true, force: true });
  }

  layerDir(chainId: Digest): string {
    return join(this.dir, hexOf(chainId));
  }

  diffDir(chainId: Digest): string {
    return join(this.layerDir(chainId), 'diff');
  }

  /** Diff dirs from `chainId` down to the base layer: top first, as overlay's lowerdir wants. */
  async lowerDirs(chainId: Digest): Promise<string[]> {
    const out: string[] = [];
    let cur: Digest | null = chainId;
    while (cur !== null) {
      if (out.length > 1000) throw internal(`layer chain of ${chainId} does not end`);
      const l: Layer = await this.get(cur);
      out.push(this.diffDir(l.chainId));
      cur = l.parent;
    }
    return out;
  }

  /**
   * Startup: deletes tmp-* (interrupted registers and removes) and any layer still marked
   * incomplete; moves layers whose layer.json is unreadable to layers/quarantine/.
   * Returns one warning per thing it touched; never throws for a single bad layer.
   */
  async sweep(): Promise<string[]> {
    await this.init();
    const warnings: string[] = [];
    for (const name of await readdir(this.dir)) {
      const p = join(this.dir, name);
      if (name.startsWith(TMP_PREFIX)) {
        await rm(p, { recursive: true, force: true });
        warnings.push(`removed unfinished layer directory ${name}`);
        continue;
      }
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      if ((await exists(join(p, INCOMPLETE))) || (await exists(join(p, UNSYNCED)))) {
        await rm(p, { recursive: true, force: true });
        warnings.push(`removed incomplete layer ${name}`);
        continue;
      }
      try {
        parseRecord(await readFile(join(p, RECORD), 'utf8'), `sha256:${name}`);
      } catch (err) {
        const q = join(this.dir, QUARANTINE);
        await mkdir(q, { recursive: true, mode: 0o700 });
        await rename(p, join(q, `${name}-${Date.now()}`));
        warnings.push(`quarantined layer ${name}: ${(err as Error).message}`);
      }
    }
    return warnings;
  }

  private async names(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

function parseRecord(text: string, chainId: Digest): Layer {
  const v = parseJsonSafe(text, `layer record of ${chainId}`);
  if (
    !isObject(v) ||
    v.chainId !== chainId ||
    typeof v.diffId !== 'string' ||
    !isDigest(v.diffId) ||
    !(v.parent === null || (typeof v.parent === 'string' && isDigest(v.parent))) ||
    typeof v.size !== 'number' ||
    typeof v.tarSize !== 'number'
  ) {
    throw invalidArgument(`corrupt layer record of ${chainId}`);
  }
  return { chainId, diffId: v.diffId, parent: v.parent as Digest | null, size: v.size, tarSize: v.tarSize };
}

/** syncfs(2) on the filesystem holding `dir`, off the main thread (it may take a while). */
async function syncfsOf(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await syncfsAsync(fh.fd);
  } finally {
    await fh.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
