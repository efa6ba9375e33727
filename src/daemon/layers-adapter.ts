// Puts snapshots/ behind the narrow ports services use. Layer records are cached in
// memory (loaded once at start-up) so the start path never reads layer.json files.
import type { Readable } from 'node:stream';
import { readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../common/digest.ts';
import { internal, isNotExist, notFound } from '../common/errors.ts';
import { LayerStore, type Extracted, type Layer } from '../snapshots/layer-store.ts';
import { overlayMount, prepareRw } from '../snapshots/overlay.ts';
import { readFileFromLayers } from '../snapshots/layer-read.ts';
import type { LayerPort } from '../services/containers/ports.ts';
import type { Mount } from '../oci/runtime-spec.ts';
import type { ExtractedLayer, LayerRegistry } from '../services/images/deps.ts';

export class Layers implements LayerPort, LayerRegistry {
  readonly store: LayerStore;
  private readonly cache = new Map<Digest, Layer>();
  /** Committed with deferSync and not flushed yet. */
  private readonly unsynced = new Set<Digest>();

  constructor(dataRoot: string) {
    this.store = new LayerStore(dataRoot);
  }

  async init(): Promise<string[]> {
    await this.store.init();
    const warnings = await this.store.sweep();
    for (const l of await this.store.list()) this.cache.set(l.chainId, l);
    return warnings.map(String);
  }

  async register(parent: Digest | null, tar: Readable): Promise<{ chainId: Digest; diffId: Digest; size: number }> {
    const l = await this.store.register(parent, tar);
    this.cache.set(l.chainId, l);
    this.unsynced.delete(l.chainId); // register() flushed it
    return l;
  }

  extract(tar: Readable): Promise<ExtractedLayer> {
    return this.store.extract(tar);
  }

  async commit(x: ExtractedLayer, parent: Digest | null, opts: { deferSync?: boolean } = {}): Promise<Layer> {
    const l = await this.store.commit(x as Extracted, parent, opts);
    this.cache.set(l.chainId, l);
    // Deferred: flush() looks for the marker (absent when an earlier commit won the race).
    if (opts.deferSync) this.unsynced.add(l.chainId);
    else this.unsynced.delete(l.chainId);
    return l;
  }

  discard(x: ExtractedLayer): Promise<void> {
    return this.store.discard(x as Extracted);
  }

  async flush(chainIds: Digest[]): Promise<void> {
    const pending = chainIds.filter((c) => this.unsynced.has(c));
    if (!pending.length) return;
    await this.store.flush(pending);
    for (const c of pending) this.unsynced.delete(c);
  }

  has(chainId: Digest): boolean {
    return this.cache.has(chainId);
  }

  size(chainId: Digest): number {
    return this.cache.get(chainId)?.size ?? 0;
  }

  list(): Digest[] {
    return [...this.cache.keys()];
  }

  async remove(chainId: Digest): Promise<void> {
    if (!this.cache.has(chainId)) return;
    if ([...this.cache.values()].some((l) => l.parent === chainId)) return; // still a parent
    await this.store.remove(chainId);
    this.cache.delete(chainId);
    this.unsynced.delete(chainId);
  }

  diffDir(chainId: Digest): string {
    return this.store.diffDir(chainId);
  }

  /** Diff dirs from `top` down to the base (overlay's lowerdir order); not-found for a chain not here. */
  lowerDirs(top: Digest): string[] {
    const out: string[] = [];
    for (let cur: Digest | null = top; cur !== null; ) {
      const l = this.cache.get(cur);
      if (!l) throw notFound(`layer ${cur} not found`);
      if (out.length >= 1000) throw internal(`layer chain of ${top} does not end`);
      out.push(this.store.diffDir(cur));
      cur = l.parent;
    }
    return out;
  }

  rootfsMounts(lowerDirs: string[], rwDir: string, readonly: boolean): Mount[] {
    const m = overlayMount(lowerDirs, join(rwDir, 'upper'), join(rwDir, 'work'));
    return [readonly ? { ...m, options: [...(m.options ?? []), 'ro'] } : m];
  }

  async prepareRw(rwDir: string): Promise<void> {
    await prepareRw(rwDir);
  }

  async readFile(
    lowerDirs: string[],
    upperDir: string | undefined,
    path: string,
    maxBytes: number,
  ): Promise<Buffer | undefined> {
    try {
      return await readFileFromLayers(lowerDirs, path, { upperDir, maxBytes });
    } catch (err) {
      if (isNotExist(err) || (err as { kind?: string }).kind === 'not-found') return undefined;
      throw err;
    }
  }

  /** Bytes used by a directory tree (a container's upper dir), without following links. */
  async dirSize(dir: string): Promise<number> {
    let total = 0;
    const walk = async (d: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(d);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(d, n);
        const s = await lstat(p).catch(() => undefined);
        if (!s) continue;
        if (s.isDirectory()) await walk(p);
        else if (s.isFile()) total += s.size;
      }
    };
    await walk(dir);
    return total;
  }
}
