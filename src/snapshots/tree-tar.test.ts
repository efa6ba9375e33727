import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { lsetxattr, mknod, S_IFCHR } from '../sys/libc.ts';
import { closeFd } from '../sys/libc.ts';
import { openRoot } from '../sys/inroot.ts';
import { applyLayer, OPAQUE_XATTR } from './apply.ts';
import { TarReader } from '../tar/reader.ts';
import { TarWriter } from '../tar/writer.ts';
import { tarEntry } from './tree-tar.ts';
import { upperChanges } from './upper-changes.ts';
import { tempDir } from './test-helpers.ts';

const root = process.getuid?.() === 0 ? false : 'needs root (whiteout device nodes, trusted.* xattrs)';

/** lower: /a/{x,y}, /d/{p,q}, /keep; upper: /a/x modified, /a/y deleted, /d opaque with /d/n, /new, stubs. */
function fixture(base: string): { lower: string; upper: string } {
  const lower = join(base, 'lower');
  const upper = join(base, 'upper');
  for (const p of ['a', 'd', 'etc', 'proc']) mkdirSync(join(lower, p), { recursive: true });
  writeFileSync(join(lower, 'a/x'), 'x');
  writeFileSync(join(lower, 'a/y'), 'y');
  writeFileSync(join(lower, 'd/p'), 'p');
  writeFileSync(join(lower, 'keep'), 'k');
  for (const p of ['a', 'd', 'etc', 'proc', 'sys']) mkdirSync(join(upper, p), { recursive: true });
  writeFileSync(join(upper, 'a/x'), 'x2');
  mknod(join(upper, 'a/y'), S_IFCHR, 0, 0);
  lsetxattr(join(upper, 'd'), OPAQUE_XATTR, Buffer.from('y'));
  writeFileSync(join(upper, 'd/n'), 'n');
  writeFileSync(join(upper, 'new'), 'new');
  symlinkSync('/etc/shadow', join(upper, 'lnk'));
  writeFileSync(join(upper, 'etc/hosts'), ''); // runc's mount point stub: left out
  return { lower, upper };
}

test('upperChanges reads whiteouts and opaque dirs as Docker reports them', { skip: root }, async () => {
  using t = tempDir();
  const { lower, upper } = fixture(t.path);
  const got = (await upperChanges(upper, [lower])).map((c) => `${'CAD'[c.Kind]} ${c.Path}`);
  assert.deepEqual(got, ['C /a', 'C /a/x', 'D /a/y', 'D /d', 'A /d/n', 'A /lnk', 'A /new']);
});

test('an upper dir as a layer tar round trips through applyLayer in OCI form', { skip: root }, async () => {
  using t = tempDir();
  const { lower, upper } = fixture(t.path);
  const w = new TarWriter();
  const fd = openRoot(upper);
  const chunks: Buffer[] = [];
  w.stream.on('data', (c: Buffer) => chunks.push(c));
  try {
    await tarEntry(w, fd, null, '', { upper: { lowers: [lower] } });
    await w.finish();
  } finally {
    closeFd(fd);
  }
  const tar = Buffer.concat(chunks);
  const names: string[] = [];
  for await (const e of new TarReader(PassThrough.from([tar]))) names.push(e.header.name);
  assert.deepEqual(names, ['a/', 'a/x', 'a/.wh.y', 'd/', 'd/.wh..wh..opq', 'd/n', 'etc/', 'lnk', 'new', 'proc/']); // /proc is in the lower: not a stub
  // Applying it over the lower layer as a new layer gives back the upper dir's meaning.
  const again = join(t.path, 'again');
  mkdirSync(again);
  await applyLayer(again, PassThrough.from([tar]));
  assert.deepEqual(
    (await upperChanges(again, [lower])).map((c) => `${'CAD'[c.Kind]} ${c.Path}`),
    ['C /a', 'C /a/x', 'D /a/y', 'D /d', 'A /d/n', 'A /lnk', 'A /new'],
  );
});
