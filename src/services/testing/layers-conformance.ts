// The layer store's contract as one reusable test suite: the LayerRegistry port the image
// services use (register, extract/commit, flush, remove) and the LayerPort the container
// services use (lower dirs, root filesystem mounts, reading files through the layers,
// sizes), which one implementation provides together. The real adapter (daemon/
// layers-adapter.ts over snapshots/) and the in-memory fake both pass it.
//
// Layers are given as tar archives in the OCI layer format (`.wh.<name>` whiteouts,
// `.wh..wh..opq` opaque directories). A harness mounts the root filesystem mounts the
// store describes, so the suite sees what a container would see.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { chainIds, sha256, type Digest } from '../../common/digest.ts';
import { tarToBuffer, type TarWriteEntry } from '../../tar/writer.ts';
import type { LayerPort } from '../containers/ports.ts';
import type { LayerRegistry } from '../images/deps.ts';
import { harnessTest, rejectsWithKind, throwsKind, type ConformanceOptions } from './conformance.ts';

/** What one implementation provides: both ports. */
export type LayerStore = LayerRegistry & LayerPort;

/** A mounted root filesystem, as a container sees its `/`. */
export interface RootView {
  /** A regular file's text (symlinks followed); undefined when there is none. */
  read(path: string): Promise<string | undefined>;
  /** A directory's names, sorted; undefined when there is none. */
  list(path: string): Promise<string[] | undefined>;
  /** Creates or replaces a file (its parent must exist); rejects on a read-only root. */
  write(path: string, text: string): Promise<void>;
  /** Deletes a file; rejects on a read-only root. */
  remove(path: string): Promise<void>;
  unmount(): Promise<void>;
}

export interface LayerStoreHarness {
  /** The store under test (replaced by restart()). */
  layers: LayerStore;
  /** Berthd restarts: a new store over the same state, holding what was durable. */
  restart(): Promise<LayerStore>;
  /** A fresh directory for a container's read-write layer (prepareRw makes it). */
  rwDir(): Promise<string>;
  /** Mounts what rootfsMounts described and shows the result. */
  mount(mounts: ReturnType<LayerPort['rootfsMounts']>): Promise<RootView>;
  /** Removes everything; rejects when something was left behind (temporary dirs, mounts). */
  close(): Promise<void>;
}

/** One entry of a test layer: a file's text, a directory or a symlink (`.wh.` names are whiteouts). */
type Item = string | { dir: true } | { link: string };

/** A layer tar from path → item (whiteouts are written as `.wh.` files, as OCI says). */
export function layerTar(items: Record<string, Item>): Promise<Buffer> {
  const entries: { entry: TarWriteEntry; body?: string }[] = [];
  for (const [name, item] of Object.entries(items)) {
    if (typeof item === 'string') entries.push({ entry: { name, type: 'file', mode: 0o644 }, body: item });
    else if ('dir' in item) entries.push({ entry: { name, type: 'dir', mode: 0o755 } });
    else entries.push({ entry: { name, type: 'symlink', linkname: item.link } });
  }
  return tarToBuffer(entries);
}

const streamOf = (b: Buffer) => Readable.from([b]);
const diffIdOf = (tar: Buffer) => sha256(tar);

export function layerStoreConformance(
  name: string,
  make: () => Promise<LayerStoreHarness>,
  opts: ConformanceOptions = {},
): void {
  const it = harnessTest(make);

  /** Registers layers bottom up; returns their chain IDs. */
  async function stack(h: LayerStoreHarness, ...tars: Buffer[]): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const t of tars) out.push((await h.layers.register(out.at(-1) ?? null, streamOf(t))).chainId);
    return out;
  }

  describe(`${name}: layer store conformance`, { skip: opts.skip }, () => {
    describe('register, commit, remove', () => {
      it("a base layer's chain ID is its diff ID (the tar's sha256); its size sums its files", async (h) => {
        const tar = await layerTar({
          'a.txt': 'hello',
          dir: { dir: true },
          'dir/b.txt': 'worlds!',
          link: { link: 'a.txt' },
        });
        const l = await h.layers.register(null, streamOf(tar));
        assert.equal(l.diffId, diffIdOf(tar));
        assert.equal(l.chainId, l.diffId);
        assert.equal(l.size, 5 + 7);
        assert.equal(h.layers.size(l.chainId), 12);
        assert.equal(h.layers.has(l.chainId), true);
        assert.deepEqual(h.layers.list(), [l.chainId]);
        assert.equal(h.layers.has(sha256('other')), false);
        assert.equal(h.layers.size(sha256('other')), 0);
      });

      it('layers on parents: chain IDs as OCI defines them, lower dirs top first', async (h) => {
        const tars = [await layerTar({ a: '1' }), await layerTar({ b: '2' }), await layerTar({ c: '3' })];
        const ids = await stack(h, ...tars);
        assert.deepEqual(ids, chainIds(tars.map(diffIdOf)));
        const lowers = h.layers.lowerDirs(ids[2]);
        assert.deepEqual(lowers, ids.map((c) => h.layers.diffDir(c)).reverse());
        assert.deepEqual(h.layers.lowerDirs(ids[1]), lowers.slice(1));
        assert.equal(new Set(lowers).size, 3, 'one directory per layer');
        assert.deepEqual([...h.layers.list()].sort(), [...ids].sort());
      });

      it('lowerDirs of a chain that is not there is not-found', async (h) => {
        throwsKind(() => h.layers.lowerDirs(sha256('nothing')), 'not-found', 'lowerDirs');
      });

      it('register on a parent that is not there is not-found, and registers nothing', async (h) => {
        await rejectsWithKind(
          h.layers.register(sha256('no such parent'), streamOf(await layerTar({ a: '1' }))),
          'not-found',
          'register',
        );
        assert.deepEqual(h.layers.list(), []);
      });

      it('an archive that climbs out of the layer is invalid-argument, and registers nothing', async (h) => {
        const bad = await tarToBuffer([{ entry: { name: '../escape', type: 'file', mode: 0o644 }, body: 'x' }]);
        await rejectsWithKind(h.layers.register(null, streamOf(bad)), 'invalid-argument', 'register');
        assert.deepEqual(h.layers.list(), []);
      });

      it('the same chain registered again, and concurrently, is one layer', async (h) => {
        const [base] = await stack(h, await layerTar({ base: 'b' }));
        const tar = await layerTar({ top: 't' });
        const results = await Promise.all(Array.from({ length: 6 }, () => h.layers.register(base, streamOf(tar))));
        const want = chainIds([base, diffIdOf(tar)])[1];
        for (const r of results) assert.equal(r.chainId, want);
        assert.deepEqual([...h.layers.list()].sort(), [base, want].sort());
        const again = await h.layers.register(base, streamOf(tar));
        assert.equal(again.chainId, want);
        assert.equal(h.layers.list().length, 2);
      });

      it('extract in any order, commit in order (a pull): the same chain as register; discard leaves nothing', async (h) => {
        const tars = [await layerTar({ one: '1' }), await layerTar({ two: '22' }), await layerTar({ three: '333' })];
        const xs = await Promise.all(tars.map((t) => h.layers.extract(streamOf(t))));
        assert.deepEqual(
          xs.map((x) => x.diffId),
          tars.map(diffIdOf),
        );
        const dropped = await h.layers.extract(streamOf(await layerTar({ unused: 'x' })));
        await h.layers.discard(dropped);
        const c1 = await h.layers.commit(xs[0], null);
        const c2 = await h.layers.commit(xs[1], c1.chainId);
        const c3 = await h.layers.commit(xs[2], c2.chainId);
        assert.deepEqual(
          [c1, c2, c3].map((c) => c.chainId),
          chainIds(tars.map(diffIdOf)),
        );
        assert.deepEqual(
          [c1, c2, c3].map((c) => c.size),
          [1, 2, 3],
        );
        assert.equal(h.layers.list().length, 3);
      });

      it('a commit of a chain that is already there is that layer', async (h) => {
        const tar = await layerTar({ same: 's' });
        const first = await h.layers.register(null, streamOf(tar));
        const x = await h.layers.extract(streamOf(tar));
        const second = await h.layers.commit(x, null);
        assert.equal(second.chainId, first.chainId);
        assert.equal(h.layers.list().length, 1);
      });

      it('remove: a leaf goes, a layer still a parent stays, an unknown one is a no-op', async (h) => {
        const [base, top] = await stack(h, await layerTar({ a: '1' }), await layerTar({ b: '2' }));
        await h.layers.remove(base);
        assert.equal(h.layers.has(base), true, 'still the parent of another layer');
        await h.layers.remove(top);
        assert.equal(h.layers.has(top), false);
        await h.layers.remove(top);
        await h.layers.remove(base);
        assert.equal(h.layers.has(base), false);
        assert.deepEqual(h.layers.list(), []);
        await h.layers.remove(sha256('unknown'));
        const again = await stack(h, await layerTar({ a: '1' }));
        assert.deepEqual(again, [base], 'registered again after removal');
      });
    });

    describe('durability across a restart', () => {
      it('registered layers survive a restart with their parents and sizes', async (h) => {
        const ids = await stack(h, await layerTar({ a: '1' }), await layerTar({ b: '22' }));
        const lowers = h.layers.lowerDirs(ids[1]);
        const l = await h.restart();
        assert.deepEqual([...l.list()].sort(), [...ids].sort());
        assert.deepEqual(l.lowerDirs(ids[1]), lowers);
        assert.equal(l.size(ids[1]), 2);
      });

      it('a deferred commit is durable only once flushed: a restart drops the unflushed one', async (h) => {
        const a = await h.layers.commit(await h.layers.extract(streamOf(await layerTar({ a: '1' }))), null, {
          deferSync: true,
        });
        await h.layers.flush([a.chainId]);
        const b = await h.layers.commit(await h.layers.extract(streamOf(await layerTar({ b: '2' }))), a.chainId, {
          deferSync: true,
        });
        assert.equal(h.layers.has(b.chainId), true, 'usable before the flush');
        const l = await h.restart();
        assert.equal(l.has(a.chainId), true, 'flushed: kept');
        assert.equal(l.has(b.chainId), false, 'never flushed: gone');
        await l.flush([a.chainId]); // flushing again is fine
      });
    });

    describe('root filesystems and reads through the layers', () => {
      const base = () =>
        layerTar({
          etc: { dir: true },
          'etc/os': 'base',
          'etc/gone': 'here below',
          usr: { dir: true },
          'usr/lib': { dir: true },
          'usr/lib/passwd': 'root:x:0:0::/root:/bin/sh\n',
          data: { dir: true },
          'data/old1': 'a',
          'data/old2': 'b',
        });
      const top = () =>
        layerTar({
          etc: { dir: true },
          'etc/os': 'top',
          'etc/.wh.gone': '',
          'etc/passwd': { link: '../usr/lib/passwd' },
          'etc/abs': { link: '/usr/lib/passwd' },
          'etc/escape': { link: '../../../../../usr/lib/passwd' },
          'etc/outside': { link: '../../../../../etc/hostname-of-the-host' },
          data: { dir: true },
          'data/.wh..wh..opq': '',
          'data/new': 'c',
        });

      it('the mounted root merges the layers: top wins, whiteouts and opaque dirs hide what is below', async (h) => {
        const ids = await stack(h, await base(), await top());
        const rw = await h.rwDir();
        await h.layers.prepareRw(rw);
        const root = await h.mount(h.layers.rootfsMounts(h.layers.lowerDirs(ids[1]), rw, false));
        try {
          assert.equal(await root.read('/etc/os'), 'top');
          assert.equal(await root.read('/etc/gone'), undefined);
          assert.deepEqual(await root.list('/data'), ['new']);
          assert.equal(await root.read('/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
          assert.deepEqual(await root.list('/usr/lib'), ['passwd']);
        } finally {
          await root.unmount();
        }
      });

      it("a container's writes land in its read-write dir, never in the layers", async (h) => {
        const ids = await stack(h, await base(), await top());
        const lowers = h.layers.lowerDirs(ids[1]);
        const [rw, other] = [await h.rwDir(), await h.rwDir()];
        await h.layers.prepareRw(rw);
        await h.layers.prepareRw(other);
        const root = await h.mount(h.layers.rootfsMounts(lowers, rw, false));
        try {
          await root.write('/etc/os', 'changed');
          await root.write('/new.txt', 'new!');
          await root.remove('/data/new');
          assert.equal(await root.read('/etc/os'), 'changed');
          assert.equal(await root.read('/data/new'), undefined);
        } finally {
          await root.unmount();
        }
        const upper = join(rw, 'upper');
        assert.equal((await h.layers.readFile(lowers, upper, '/etc/os', 1 << 20))?.toString(), 'changed');
        assert.equal((await h.layers.readFile(lowers, upper, '/new.txt', 1 << 20))?.toString(), 'new!');
        assert.equal(await h.layers.readFile(lowers, upper, '/data/new', 1 << 20), undefined);
        assert.equal((await h.layers.readFile(lowers, undefined, '/etc/os', 1 << 20))?.toString(), 'top');
        const second = await h.mount(h.layers.rootfsMounts(lowers, other, false));
        try {
          assert.equal(await second.read('/etc/os'), 'top', "another container's root is untouched");
          assert.equal(await second.read('/new.txt'), undefined);
        } finally {
          await second.unmount();
        }
      });

      it('a read-only root filesystem refuses writes', async (h) => {
        const ids = await stack(h, await base());
        const rw = await h.rwDir();
        await h.layers.prepareRw(rw);
        const root = await h.mount(h.layers.rootfsMounts(h.layers.lowerDirs(ids[0]), rw, true));
        try {
          assert.equal(await root.read('/etc/os'), 'base');
          await assert.rejects(root.write('/etc/os', 'no'), 'a write to a read-only root');
          await assert.rejects(root.remove('/etc/gone'), 'a delete on a read-only root');
          assert.equal(await root.read('/etc/os'), 'base');
        } finally {
          await root.unmount();
        }
      });

      it('readFile follows overlay rules and resolves symlinks inside the image', async (h) => {
        const ids = await stack(h, await base(), await top());
        const lowers = h.layers.lowerDirs(ids[1]);
        const read = async (p: string) => (await h.layers.readFile(lowers, undefined, p, 1 << 20))?.toString();
        assert.equal(await read('/etc/os'), 'top');
        assert.equal(await read('etc/os'), 'top', 'relative to the root');
        assert.equal(await read('/etc/gone'), undefined, 'whited out');
        assert.equal(await read('/data/old1'), undefined, 'under an opaque dir');
        assert.equal(await read('/data/new'), 'c');
        assert.equal(await read('/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n', 'a link into a lower layer');
        assert.equal(await read('/etc/abs'), 'root:x:0:0::/root:/bin/sh\n', 'an absolute link, from the image root');
        assert.equal(await read('/etc/escape'), 'root:x:0:0::/root:/bin/sh\n', '.. stops at the image root');
        assert.equal(await read('/etc/outside'), undefined, 'never a host file');
        assert.equal(await read('/no/such/file'), undefined);
        assert.equal(
          (await h.layers.readFile(h.layers.lowerDirs(ids[0]), undefined, '/etc/gone', 1 << 20))?.toString(),
          'here below',
          'the lower chain alone still has it',
        );
      });

      it('readFile refuses a directory and a file over maxBytes (invalid-argument)', async (h) => {
        const ids = await stack(h, await base());
        const lowers = h.layers.lowerDirs(ids[0]);
        await rejectsWithKind(h.layers.readFile(lowers, undefined, '/etc', 1 << 20), 'invalid-argument', 'a dir');
        await rejectsWithKind(h.layers.readFile(lowers, undefined, '/etc/os', 3), 'invalid-argument', 'too big');
        assert.equal(
          (await h.layers.readFile(lowers, undefined, '/etc/os', 4))?.toString(),
          'base',
          'exactly maxBytes',
        );
      });

      it("dirSize counts a container's regular files once, links not followed; a missing dir is 0", async (h) => {
        const ids = await stack(h, await base());
        const rw = await h.rwDir();
        await h.layers.prepareRw(rw);
        const upper = join(rw, 'upper');
        assert.equal(await h.layers.dirSize(upper), 0, 'a fresh read-write layer');
        const root = await h.mount(h.layers.rootfsMounts(h.layers.lowerDirs(ids[0]), rw, false));
        try {
          await root.write('/one', '1');
          await root.write('/etc/two', '22');
          await root.write('/etc/os', 'four');
        } finally {
          await root.unmount();
        }
        assert.equal(await h.layers.dirSize(upper), 1 + 2 + 4);
        assert.equal(await h.layers.dirSize(join(rw, 'no-such-dir')), 0);
      });
    });
  });
}
