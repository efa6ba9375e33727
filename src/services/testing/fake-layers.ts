// An in-memory layer store (LayerRegistry + LayerPort) for service tests without root or
// overlayfs. It passes the same conformance suite as the real adapter (layers-
// conformance.ts). Layers are trees (fake-tree.ts) kept in a FakeLayerDisk that outlives
// the store, as the data root outlives berthd: `new FakeLayers(disk)` is a restart, and
// like the real store's start-up it drops layers committed with deferSync and never flushed.
//
// Directories are names, not host paths: diffDir() is `/fake-layers/<hex>/diff`, and a
// container's read-write dir is whatever path the caller picks (prepareRw makes
// `<dir>/upper` in memory). view() mounts what rootfsMounts() describes, in memory.
import type { Readable } from 'node:stream';
import { hexOf, sha256, type Digest } from '../../common/digest.ts';
import { BerthError, invalidArgument, notFound } from '../../common/errors.ts';
import { overlayMount } from '../../snapshots/overlay.ts';
import { TarReader, type TarEntry } from '../../tar/reader.ts';
import type { LayerPort } from '../containers/ports.ts';
import type { ExtractedLayer, LayerRegistry } from '../images/deps.ts';
import {
  components,
  dirAt,
  emptyDir,
  listThrough,
  readThrough,
  resolve,
  treeSize,
  upperParent,
  type Dir,
} from './fake-tree.ts';
import type { RootView } from './layers-conformance.ts';

interface StoredLayer {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  size: number;
  tree: Dir;
  unsynced: boolean;
}

interface FakeExtracted extends ExtractedLayer {
  readonly tree: Dir;
  readonly size: number;
}

/** What survives a restart: committed layers and containers' read-write trees, by path. */
export class FakeLayerDisk {
  readonly layers = new Map<Digest, StoredLayer>();
  readonly trees = new Map<string, Dir>();
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

async function bodyOf(e: TarEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of e.body) parts.push(b);
  return Buffer.concat(parts);
}

/** A name inside the layer, as components; one that climbs out is refused. */
function inLayer(name: string): string[] {
  const out: string[] = [];
  for (const c of components(name)) {
    if (c !== '..') out.push(c);
    else if (!out.pop()) throw invalidArgument(`invalid tar entry ${JSON.stringify(name)}: outside the layer`);
  }
  return out;
}

/** Unpacks a layer tar into a tree (whiteouts and opaque markers as overlayfs keeps them). */
async function unpack(tar: Readable): Promise<{ tree: Dir; size: number; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  const tree = emptyDir();
  let size = 0;
  try {
    const reader = new TarReader(tar, { onData: (b) => chunks.push(b) });
    for await (const e of reader) {
      const parts = inLayer(e.header.name);
      const base = parts.pop();
      if (base === undefined) continue; // the layer root itself
      const dir = dirAt(tree, parts, true)!;
      if (base === OPAQUE) {
        if (!parts.length) throw invalidArgument('invalid archive: opaque whiteout at the layer root');
        dir.opaque = true;
      } else if (base.startsWith(WHITEOUT)) dir.children.set(base.slice(WHITEOUT.length), { type: 'whiteout' });
      else if (e.header.type === 'dir') {
        if (dir.children.get(base)?.type !== 'dir') dir.children.set(base, emptyDir());
      } else if (e.header.type === 'file') {
        const data = await bodyOf(e);
        dir.children.set(base, { type: 'file', data });
        size += data.length;
      } else if (e.header.type === 'symlink') dir.children.set(base, { type: 'symlink', target: e.header.linkname });
      else if (e.header.type === 'hardlink') {
        const target = resolve([tree], inLayer(e.header.linkname).join('/'));
        if (target?.node.type !== 'file')
          throw invalidArgument(`hardlink ${e.header.name}: target ${e.header.linkname} is not in this layer`);
        dir.children.set(base, target.node);
      } else dir.children.set(base, { type: 'special' });
    }
  } catch (err) {
    throw err instanceof BerthError ? err : invalidArgument(`invalid layer archive: ${(err as Error).message}`, err);
  }
  return { tree, size, bytes: Buffer.concat(chunks) };
}

const readOnly = () => Object.assign(new Error('read-only file system'), { code: 'EROFS' });

export class FakeLayers implements LayerRegistry, LayerPort {
  readonly disk: FakeLayerDisk;

  /** Opens the store over `disk` as start-up does: unflushed deferred commits are dropped. */
  constructor(disk: FakeLayerDisk = new FakeLayerDisk()) {
    this.disk = disk;
    for (const [c, l] of disk.layers) if (l.unsynced) disk.layers.delete(c);
  }

  // ---- LayerRegistry ----

  async register(parent: Digest | null, tar: Readable): Promise<{ chainId: Digest; diffId: Digest; size: number }> {
    if (parent !== null) this.layer(parent);
    return this.commit(await this.extract(tar), parent);
  }

  async extract(tar: Readable): Promise<ExtractedLayer> {
    const u = await unpack(tar);
    const x: FakeExtracted = { diffId: sha256(u.bytes), tree: u.tree, size: u.size };
    return x;
  }

  async commit(
    x: ExtractedLayer,
    parent: Digest | null,
    opts: { deferSync?: boolean } = {},
  ): Promise<{ chainId: Digest; diffId: Digest; size: number }> {
    const { tree, size } = x as FakeExtracted;
    const chainId = parent === null ? x.diffId : sha256(`${this.layer(parent).chainId} ${x.diffId}`);
    const have = this.disk.layers.get(chainId);
    if (have) {
      if (!opts.deferSync) have.unsynced = false; // the real store flushes the winner then
    } else
      this.disk.layers.set(chainId, {
        chainId,
        diffId: x.diffId,
        parent,
        size,
        tree,
        unsynced: Boolean(opts.deferSync),
      });
    const l = this.layer(chainId);
    return { chainId, diffId: l.diffId, size: l.size };
  }

  async discard(_x: ExtractedLayer): Promise<void> {}

  async flush(chainIds: Digest[]): Promise<void> {
    for (const c of chainIds) {
      const l = this.disk.layers.get(c);
      if (l) l.unsynced = false;
    }
  }

  size(chainId: Digest): number {
    return this.disk.layers.get(chainId)?.size ?? 0;
  }

  has(chainId: Digest): boolean {
    return this.disk.layers.has(chainId);
  }

  list(): Digest[] {
    return [...this.disk.layers.keys()];
  }

  async remove(chainId: Digest): Promise<void> {
    if (!this.disk.layers.has(chainId)) return;
    if ([...this.disk.layers.values()].some((l) => l.parent === chainId)) return; // still a parent
    this.disk.layers.delete(chainId);
  }

  diffDir(chainId: Digest): string {
    return `/fake-layers/${hexOf(chainId)}/diff`;
  }

  // ---- LayerPort ----

  lowerDirs(topChainId: Digest): string[] {
    const out: string[] = [];
    for (let c: Digest | null = topChainId; c !== null; c = this.layer(c).parent) out.push(this.diffDir(c));
    return out;
  }

  rootfsMounts(lowerDirs: string[], rwDir: string, readonly: boolean): ReturnType<LayerPort['rootfsMounts']> {
    const m = overlayMount(lowerDirs, `${rwDir}/upper`, `${rwDir}/work`);
    return [readonly ? { ...m, options: [...(m.options ?? []), 'ro'] } : m];
  }

  async prepareRw(rwDir: string): Promise<void> {
    if (!this.disk.trees.has(`${rwDir}/upper`)) this.disk.trees.set(`${rwDir}/upper`, emptyDir());
  }

  async readFile(
    lowerDirs: string[],
    upperDir: string | undefined,
    path: string,
    maxBytes: number,
  ): Promise<Buffer | undefined> {
    return readThrough(this.trees([...(upperDir ? [upperDir] : []), ...lowerDirs]), path, maxBytes);
  }

  async dirSize(dir: string): Promise<number> {
    const t = this.disk.trees.get(dir);
    return t ? treeSize(t) : 0;
  }

  // ---- for tests: mounting what rootfsMounts described ----

  /** The root a runtime would mount from `mounts` (one overlay, or a bind of the upper dir). */
  view(mounts: ReturnType<LayerPort['rootfsMounts']>): RootView {
    const [m] = mounts;
    const opt = (k: string) => m.options?.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
    const upperPath = m.type === 'bind' ? m.source : opt('upperdir');
    const upper = upperPath ? this.disk.trees.get(upperPath) : undefined;
    const lowers = this.trees((opt('lowerdir') ?? '').split(':').filter(Boolean));
    const layers = upper ? [upper, ...lowers] : lowers;
    const ro = Boolean(m.options?.includes('ro')) || !upper;
    return {
      read: async (p) => {
        const f = resolve(layers, p);
        return f?.node.type === 'file' ? f.node.data.toString() : undefined;
      },
      list: async (p) => listThrough(layers, p),
      write: async (p, text) => {
        if (ro || !upper) throw readOnly();
        const { dir, name } = upperParent(upper, layers, p);
        dir.children.set(name, { type: 'file', data: Buffer.from(text) });
      },
      remove: async (p) => {
        if (ro || !upper) throw readOnly();
        if (!resolve(layers, p)) throw notFound(`${p}: no such file`);
        const { dir, name } = upperParent(upper, layers, p);
        // Below the upper dir too: a whiteout hides it (overlayfs does the same).
        if (resolve(lowers, p)) dir.children.set(name, { type: 'whiteout' });
        else dir.children.delete(name);
      },
      unmount: async () => {},
    };
  }

  private layer(chainId: Digest): StoredLayer {
    const l = this.disk.layers.get(chainId);
    if (!l) throw notFound(`layer ${chainId} not found`);
    return l;
  }

  /** Trees for directory names: layer diffs by chain, anything else from the disk. */
  private trees(dirs: string[]): Dir[] {
    const byDiff = new Map([...this.disk.layers.values()].map((l) => [this.diffDir(l.chainId), l.tree]));
    return dirs.map((d) => byDiff.get(d) ?? this.disk.trees.get(d)).filter((t): t is Dir => t !== undefined);
  }
}
