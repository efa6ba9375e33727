import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { applyLayer } from './apply.ts';
import { readFileFromLayers, statInLayers } from './layer-read.ts';
import { tarToBuffer } from '../tar/writer.ts';
import type { TarWriteEntry } from '../tar/writer.ts';
import { streamOf, tempDir } from './test-helpers.ts';

// Run as root (scripts/test does); `npm run test:unit` as another user skips these.
const needsRoot = process.getuid?.() === 0 ? false : 'needs root (layer owners)';

type E = { entry: TarWriteEntry; body?: string };
const f = (name: string, body: string): E => ({ entry: { name, type: 'file' }, body });
const s = (name: string, linkname: string): E => ({ entry: { name, type: 'symlink', linkname } });
const d = (name: string): E => ({ entry: { name, type: 'dir' } });

test('reads through layers with whiteouts, opaque dirs and cross-layer symlinks', { skip: needsRoot }, async () => {
  using t = tempDir();
  const host = join(t.path, 'host');
  mkdirSync(host);
  writeFileSync(join(host, 'secret'), 'host secret');
  const layers: E[][] = [
    // bottom
    [
      d('etc/'),
      f('etc/passwd', 'root:x:0:0'),
      f('etc/group', 'g0'),
      d('old/'),
      f('old/x', 'old'),
      f('etc/gone', 'gone'),
      d('real/'),
      f('real/target', 'via link'),
    ],
    [
      f('etc/group', 'g1'),
      f('etc/.wh.gone', ''),
      d('old/'),
      f('old/.wh..wh..opq', ''),
      f('old/y', 'new'),
      s('lnk', '/real'),
      s('rel', '../../../real/target'),
      s('escape', `${host}/secret`),
      s('loop', 'loop'),
      s('dir-escape', '../../../..'),
    ],
  ];
  const dirs: string[] = [];
  for (const [i, entries] of layers.entries()) {
    const dir = join(t.path, `l${i}`);
    mkdirSync(dir);
    await applyLayer(dir, streamOf(await tarToBuffer(entries)));
    dirs.unshift(dir); // top first
  }
  const read = (p: string, upperDir?: string) => readFileFromLayers(dirs, p, { upperDir }).then((b) => b.toString());
  assert.equal(await read('/etc/passwd'), 'root:x:0:0');
  assert.equal(await read('/etc/group'), 'g1');
  assert.equal(await read('etc/../etc/./group'), 'g1');
  await assert.rejects(read('/etc/gone'), (e: unknown) => isKind(e, 'not-found'));
  await assert.rejects(read('/old/x'), (e: unknown) => isKind(e, 'not-found'));
  assert.equal(await read('/old/y'), 'new');
  assert.equal(await read('/lnk/target'), 'via link');
  assert.equal(await read('/rel'), 'via link');
  // Host paths resolve inside the image: the host's file is never read.
  await assert.rejects(read('/escape'), (e: unknown) => isKind(e, 'not-found'));
  await assert.rejects(read(`/dir-escape${host}/secret`), (e: unknown) => isKind(e, 'not-found'));
  await assert.rejects(read('/loop'), (e: unknown) => isKind(e, 'invalid-argument'));
  await assert.rejects(read('/etc'), (e: unknown) => isKind(e, 'invalid-argument'));
  await assert.rejects(readFileFromLayers(dirs, '/etc/passwd', { maxBytes: 3 }), (e: unknown) =>
    isKind(e, 'invalid-argument'),
  );

  const upper = join(t.path, 'upper');
  mkdirSync(join(upper, 'etc'), { recursive: true });
  writeFileSync(join(upper, 'etc/passwd'), 'changed');
  assert.equal(await read('/etc/passwd', upper), 'changed');

  // What copy-up asks before it mounts anything: is there a directory with entries?
  assert.deepEqual(await statInLayers(dirs, '/etc'), { kind: 'dir', empty: false });
  assert.deepEqual(await statInLayers(dirs, '/lnk'), { kind: 'dir', empty: false }, 'a symlink to a dir, in-image');
  assert.deepEqual(await statInLayers(dirs, '/etc/passwd'), { kind: 'file' });
  assert.deepEqual(await statInLayers(dirs, '/etc/gone'), { kind: 'missing' });
  assert.deepEqual(await statInLayers(dirs, '/nowhere/x'), { kind: 'missing' });
  assert.deepEqual(await statInLayers(dirs, `/dir-escape${host}`), { kind: 'missing' }, 'never a host path');
  mkdirSync(join(upper, 'empty'));
  assert.deepEqual(await statInLayers(dirs, '/empty', upper), { kind: 'dir', empty: true });
});
