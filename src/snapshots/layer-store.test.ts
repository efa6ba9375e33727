import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chainIds, hexOf } from '../common/digest.ts';
import { isKind } from '../common/errors.ts';
import { isMounted } from '../sys/mountinfo.ts';
import { LayerStore } from './layer-store.ts';
import { mountAll, overlayMount, prepareRw, readonlyMount, unmount } from './overlay.ts';
import { streamOf, tempDir } from './test-helpers.ts';
import { tarToBuffer } from '../tar/writer.ts';

// Run as root (scripts/test does); `npm run test:unit` as another user skips these.
const needsRoot = process.getuid?.() === 0 ? false : 'needs root (layer owners, overlay mounts)';

const layerTar = (files: Record<string, string>) =>
  tarToBuffer(Object.entries(files).map(([name, body]) => ({ entry: { name, type: 'file' as const }, body })));

test('register commits under the chain ID; registering twice yields one dir', { skip: needsRoot }, async () => {
  using t = tempDir();
  const store = new LayerStore(t.path);
  const tar1 = await layerTar({ a: '1' });
  const tar2 = await layerTar({ b: '2', '.wh.a': '' });
  const [l1, again] = await Promise.all([store.register(null, streamOf(tar1)), store.register(null, streamOf(tar1))]);
  assert.deepEqual(l1, again);
  const l2 = await store.register(l1.chainId, streamOf(tar2));
  const ids = chainIds([l1.diffId, l2.diffId]);
  assert.equal(l1.chainId, ids[0]);
  assert.equal(l2.chainId, ids[1]);
  assert.equal(l2.parent, l1.chainId);
  assert.equal(l1.size, 1);
  assert.equal(l1.tarSize, tar1.length);
  assert.deepEqual(readdirSync(store.dir).sort(), [hexOf(l1.chainId), hexOf(l2.chainId)].sort());
  assert.equal(readFileSync(join(store.diffDir(l1.chainId), 'a'), 'utf8'), '1');
  assert.deepEqual(await store.lowerDirs(l2.chainId), [store.diffDir(l2.chainId), store.diffDir(l1.chainId)]);
  assert.equal((await store.list()).length, 2);
  assert.equal(await store.has(l2.chainId), true);

  await assert.rejects(store.remove(l1.chainId), (e: unknown) => isKind(e, 'conflict'));
  await store.remove(l2.chainId);
  assert.equal(await store.has(l2.chainId), false);
  await assert.rejects(store.get(l2.chainId), (e: unknown) => isKind(e, 'not-found'));
  await assert.rejects(store.register(l2.chainId, streamOf(tar1)), (e: unknown) => isKind(e, 'not-found'));
});

test('a failed register leaves nothing behind', async () => {
  using t = tempDir();
  const store = new LayerStore(t.path);
  const bad = await tarToBuffer([{ entry: { name: '../x', type: 'file' }, body: 'x' }]);
  await assert.rejects(store.register(null, streamOf(bad)), (e: unknown) => isKind(e, 'invalid-argument'));
  assert.deepEqual(readdirSync(store.dir), []);
});

test('sweep removes crash leftovers and quarantines unreadable records', { skip: needsRoot }, async () => {
  using t = tempDir();
  const store = new LayerStore(t.path);
  const l = await store.register(null, streamOf(await layerTar({ f: 'x' })));
  mkdirSync(join(store.dir, 'tmp-deadbeef/diff'), { recursive: true });
  writeFileSync(join(store.dir, 'tmp-deadbeef/incomplete'), '');
  const half = join(store.dir, 'a'.repeat(64));
  mkdirSync(join(half, 'diff'), { recursive: true });
  writeFileSync(join(half, 'incomplete'), '');
  const corrupt = join(store.dir, 'b'.repeat(64));
  mkdirSync(join(corrupt, 'diff'), { recursive: true });
  writeFileSync(join(corrupt, 'layer.json'), '');
  const warnings = await store.sweep();
  assert.equal(warnings.length, 3);
  assert.deepEqual(readdirSync(store.dir).sort(), [hexOf(l.chainId), 'quarantine'].sort());
  assert.equal(readdirSync(join(store.dir, 'quarantine')).length, 1);
  assert.equal(await store.has(l.chainId), true);
  assert.deepEqual(await store.sweep(), []);
});

test('extract + commit with deferSync: usable at once, swept after a crash until flush() has run', {
  skip: needsRoot,
}, async () => {
  using t = tempDir();
  const store = new LayerStore(t.path);
  // Unpacked before the parent is committed (a pull unpacks several layers at once).
  const [x1, x2] = await Promise.all([
    store.extract(streamOf(await layerTar({ a: '1' }))),
    store.extract(streamOf(await layerTar({ b: '2' }))),
  ]);
  await assert.rejects(store.commit(x2, chainIds([x1.diffId])[0], { deferSync: true }), (e: unknown) =>
    isKind(e, 'not-found'),
  );
  assert.equal(existsSync(x2.dir), false, 'a failed commit removes its extraction');
  const l1 = await store.commit(x1, null, { deferSync: true });
  const again = await store.extract(streamOf(await layerTar({ b: '2' })));
  const l2 = await store.commit(again, l1.chainId, { deferSync: true });
  assert.equal(l2.chainId, chainIds([l1.diffId, l2.diffId])[1]);
  assert.equal(readFileSync(join(store.diffDir(l2.chainId), 'b'), 'utf8'), '2');
  assert.equal(existsSync(join(store.layerDir(l1.chainId), 'unsynced')), true);
  // A crash now: start-up removes both, since their data may not be on disk.
  const copy = new LayerStore(t.path);
  await store.flush([l1.chainId]);
  assert.equal(existsSync(join(store.layerDir(l1.chainId), 'unsynced')), false);
  const warnings = await copy.sweep();
  assert.equal(warnings.length, 1);
  assert.equal(await store.has(l1.chainId), true);
  assert.equal(await store.has(l2.chainId), false);
  await store.flush([l1.chainId]); // nothing left to flush: no-op
  // discard drops an extraction that will not be committed.
  const x3 = await store.extract(streamOf(await layerTar({ c: '3' })));
  await store.discard(x3);
  assert.deepEqual(readdirSync(store.dir), [hexOf(l1.chainId)]);
});

test('an overlay of 60 layers mounts (option string beyond one page)', { skip: needsRoot }, async () => {
  using t = tempDir('berth-layers-with-a-rather-long-data-root-name-');
  const store = new LayerStore(t.path);
  let parent = null;
  for (let i = 0; i < 60; i++) {
    const files: Record<string, string> = { [`f${i}`]: String(i), common: String(i) };
    if (i === 59) files['.wh.f0'] = '';
    parent = (await store.register(parent, streamOf(await layerTar(files)))).chainId;
  }
  const lowers = await store.lowerDirs(parent!);
  assert.equal(lowers.length, 60);
  const rw = await prepareRw(join(t.path, 'container'));
  const m = overlayMount(lowers, rw.upper, rw.work);
  assert.ok(m.options!.join(',').length > 4096);
  const target = join(t.path, 'rootfs');
  mkdirSync(target);
  mountAll([m], target);
  try {
    assert.ok(isMounted(target));
    assert.equal(readFileSync(join(target, 'common'), 'utf8'), '59');
    assert.equal(readFileSync(join(target, 'f30'), 'utf8'), '30');
    assert.equal(existsSync(join(target, 'f0')), false);
    writeFileSync(join(target, 'new'), 'rw');
    assert.equal(readFileSync(join(rw.upper, 'new'), 'utf8'), 'rw');
  } finally {
    unmount(target);
  }
  assert.equal(isMounted(target), false);

  // A read-only view of the same stack.
  mountAll([readonlyMount(lowers)], target);
  try {
    assert.equal(readFileSync(join(target, 'f1'), 'utf8'), '1');
    assert.throws(() => writeFileSync(join(target, 'x'), 'x'), /EROFS/);
  } finally {
    unmount(target);
  }
});
