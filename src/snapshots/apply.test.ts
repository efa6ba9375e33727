import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { lgetxattr } from '../sys/libc.ts';
import { applyLayer, cleanName } from './apply.ts';
import { mountAll, readonlyMount, unmount } from './overlay.ts';
import { END, padded, rawHeader, snapshotTree, streamOf, tempDir } from './test-helpers.ts';
import { tarToBuffer } from '../tar/writer.ts';
import type { TarWriteEntry } from '../tar/writer.ts';

// Run as root (scripts/test does); `npm run test:unit` as another user skips these.
const needsRoot = process.getuid?.() === 0 ? false : 'needs root (chown, mknod, overlay mounts)';

type E = { entry: TarWriteEntry; body?: string };
const tarOf = (entries: E[]) => tarToBuffer(entries);
const apply = async (root: string, entries: E[]) => applyLayer(root, streamOf(await tarOf(entries)));

test('cleanName strips leading / and ./ and refuses escapes', () => {
  assert.equal(cleanName('/etc/passwd'), 'etc/passwd');
  assert.equal(cleanName('./a//b/./c/'), 'a/b/c');
  assert.equal(cleanName('./'), '');
  assert.equal(cleanName('/../x'), 'x');
  for (const bad of ['../x', 'a/../../x', './../x', '..', 'a\0b']) {
    assert.throws(
      () => cleanName(bad),
      (e: unknown) => isKind(e, 'invalid-argument'),
    );
  }
});

test('owners, modes, mtimes, xattrs, hardlinks, symlinks, devices and fifos are preserved', {
  skip: needsRoot,
}, async () => {
  using t = tempDir();
  const res = await apply(t.path, [
    { entry: { name: 'dir/', type: 'dir', mode: 0o2750, uid: 7, gid: 8, mtime: 1234567890 } },
    {
      entry: {
        name: 'dir/suid',
        type: 'file',
        mode: 0o4711,
        uid: 1000,
        gid: 1001,
        mtime: 1600000000.5,
        xattrs: {
          'user.a': 'b',
          'security.capability': Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        },
      },
      body: 'suid!',
    },
    { entry: { name: 'dir/hl', type: 'hardlink', linkname: 'dir/suid' } },
    { entry: { name: 'sym', type: 'symlink', linkname: '/does/not/exist', uid: 5, gid: 6 } },
    { entry: { name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 } },
    { entry: { name: 'dev/loop9', type: 'block', mode: 0o660, devmajor: 7, devminor: 9 } },
    { entry: { name: 'fifo', type: 'fifo', mode: 0o620 } },
    { entry: { name: 'big-uid', type: 'file', uid: 4_000_000_000, gid: 3_000_000 }, body: '' },
    { entry: { name: 'sticky/', type: 'dir', mode: 0o1777 } },
  ]);
  assert.equal(res.size, 5);
  const s = snapshotTree(t.path, { mtimes: true });
  assert.deepEqual(
    { ...s.dir, xattrs: {} },
    { type: 'dir', mode: 0o2750, uid: 7, gid: 8, mtime: 1234567890, xattrs: {} },
  );
  assert.equal(s['dir/suid'].mode, 0o4711);
  assert.equal(s['dir/suid'].uid, 1000);
  assert.equal(s['dir/suid'].mtime, 1600000000);
  assert.equal(lstatSync(join(t.path, 'dir/suid')).mtimeMs, 1600000000500);
  assert.equal(s['dir/suid'].xattrs['user.a'], Buffer.from('b').toString('hex'));
  assert.ok(s['dir/suid'].xattrs['security.capability']);
  assert.equal(s['dir/suid'].linkGroup, 'dir/hl');
  assert.equal(s.sym.link, '/does/not/exist');
  assert.equal(s.sym.uid, 5);
  assert.equal(s['dev/null'].type, 'char');
  assert.equal(s['dev/null'].mode, 0o666);
  assert.equal(lstatSync(join(t.path, 'dev/null')).rdev, 0x103);
  assert.equal(s['dev/loop9'].type, 'block');
  assert.equal(s.fifo.type, 'fifo');
  assert.equal(s.fifo.mode, 0o620);
  assert.equal(s['big-uid'].uid, 4_000_000_000);
  assert.equal(s.sticky.mode, 0o1777);
});

test('whiteouts and opaque dirs take overlay form and hide lower content when mounted', {
  skip: needsRoot,
}, async () => {
  using t = tempDir();
  const l1 = join(t.path, 'l1');
  const l2 = join(t.path, 'l2');
  const mnt = join(t.path, 'mnt');
  for (const d of [l1, l2, mnt]) mkdirSync(d);
  await apply(l1, [
    { entry: { name: 'a/', type: 'dir' } },
    { entry: { name: 'a/keep', type: 'file' }, body: 'keep' },
    { entry: { name: 'a/del', type: 'file' }, body: 'del' },
    { entry: { name: 'o/', type: 'dir' } },
    { entry: { name: 'o/x', type: 'file' }, body: 'x' },
  ]);
  const warnings: string[] = [];
  await applyLayer(
    l2,
    streamOf(
      await tarOf([
        { entry: { name: 'a/.wh.del', type: 'file' } },
        { entry: { name: 'o/', type: 'dir' } },
        { entry: { name: 'o/.wh..wh..opq', type: 'file' } },
        {
          entry: { name: 'o/y', type: 'file', xattrs: { 'trusted.overlay.opaque': 'y', 'user.overlay.redirect': 'z' } },
          body: 'y',
        },
      ]),
    ),
    { onWarning: (w) => warnings.push(w) },
  );
  const wh = lstatSync(join(l2, 'a/del'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.equal(lgetxattr(join(l2, 'o'), 'trusted.overlay.opaque')?.toString(), 'y');
  // Overlay control xattrs smuggled in by the archive are dropped.
  assert.equal(lgetxattr(join(l2, 'o/y'), 'trusted.overlay.opaque'), null);
  assert.equal(warnings.length, 2);

  mountAll([readonlyMount([l2, l1])], mnt);
  try {
    assert.equal(readFileSync(join(mnt, 'a/keep'), 'utf8'), 'keep');
    assert.equal(existsSync(join(mnt, 'a/del')), false);
    assert.equal(existsSync(join(mnt, 'o/x')), false);
    assert.equal(readFileSync(join(mnt, 'o/y'), 'utf8'), 'y');
  } finally {
    unmount(mnt);
  }
});

const openFds = () => readdirSync('/proc/self/fd').length;

test('later entries replace earlier ones; dir over dir merges; no fd leaks', { skip: needsRoot }, async () => {
  using t = tempDir();
  const fdsBefore = openFds();
  await apply(t.path, [
    { entry: { name: 'd/', type: 'dir', mode: 0o700 } },
    { entry: { name: 'd/f', type: 'file' }, body: 'one' },
    { entry: { name: 'd/', type: 'dir', mode: 0o755 } },
    { entry: { name: 'd/f', type: 'file' }, body: 'two' },
    { entry: { name: 'x', type: 'symlink', linkname: 'd' } },
    { entry: { name: 'x', type: 'file' }, body: 'now a file' },
    { entry: { name: 'y/', type: 'dir' } },
    { entry: { name: 'y/z', type: 'file' }, body: 'z' },
    { entry: { name: 'y', type: 'symlink', linkname: 'd' } },
  ]);
  assert.equal(readFileSync(join(t.path, 'd/f'), 'utf8'), 'two');
  assert.equal(lstatSync(join(t.path, 'd')).mode & 0o7777, 0o755);
  assert.equal(readFileSync(join(t.path, 'x'), 'utf8'), 'now a file');
  assert.equal(readlinkSync(join(t.path, 'y')), 'd');
  await assert.rejects(apply(t.path, [sym('s', '/'), file('s/a/b/c'), hard('h', 'nope')]));
  assert.equal(openFds(), fdsBefore);
});

// ---- containment --------------------------------------------------------------------

interface Fixture {
  base: string;
  root: string;
  outside: string;
  canary: string;
  check(): void;
}

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** A target dir with canaries beside it; check() asserts nothing outside changed. */
function fixture(base: string): Fixture {
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  const canary = join(outside, 'canary');
  writeFileSync(canary, 'precious');
  const before = JSON.stringify(snapshotTree(base, { mtimes: true }), (k, v) => (k === 'root' ? undefined : v));
  const outsideBefore = JSON.stringify(snapshotTree(outside, { mtimes: true }));
  const passwd = { sha: sha('/etc/passwd'), st: lstatSync('/etc/passwd') };
  return {
    base,
    root,
    outside,
    canary,
    check() {
      assert.equal(JSON.stringify(snapshotTree(outside, { mtimes: true })), outsideBefore, 'outside dir changed');
      const top = snapshotTree(base, { mtimes: true });
      for (const k of Object.keys(top)) if (k === 'root' || k.startsWith('root/')) delete top[k];
      assert.equal(
        JSON.stringify(top, (k, v) => (k === 'root' ? undefined : v)),
        before,
        'something appeared outside root',
      );
      const st = lstatSync('/etc/passwd');
      assert.equal(sha('/etc/passwd'), passwd.sha);
      assert.equal(st.mode, passwd.st.mode);
      assert.equal(st.nlink, passwd.st.nlink);
      assert.equal(st.uid, passwd.st.uid);
    },
  };
}

type Outcome = 'rejected' | 'confined';

async function breakout(
  name: string,
  build: (f: Fixture) => E[] | Buffer,
  expect: Outcome,
  after?: (f: Fixture) => void,
) {
  test(`containment: ${name}`, { skip: needsRoot }, async () => {
    using t = tempDir('berth-breakout-');
    const f = fixture(t.path);
    const built = build(f);
    const tar = Buffer.isBuffer(built) ? built : await tarOf(built);
    let error: unknown;
    try {
      await applyLayer(f.root, streamOf(tar));
    } catch (err) {
      error = err;
    }
    if (expect === 'rejected')
      assert.ok(isKind(error, 'invalid-argument'), `expected invalid-argument, got ${String(error)}`);
    else assert.equal(error, undefined);
    f.check();
    after?.(f);
  });
}

const file = (name: string, body = 'pwned', mode?: number): E => ({ entry: { name, type: 'file', mode }, body });
const sym = (name: string, linkname: string): E => ({ entry: { name, type: 'symlink', linkname } });
const hard = (name: string, linkname: string): E => ({ entry: { name, type: 'hardlink', linkname } });
const inRoot = (f: Fixture, rel: string) => readFileSync(join(f.root, rel), 'utf8');

await breakout('../ path', () => [file('../outside/pwned')], 'rejected');
await breakout('a/../../ path', () => [file('a/../../outside/pwned')], 'rejected');
await breakout(
  'raw ../ header',
  () => Buffer.concat([rawHeader({ name: '../../../../tmp/x-berth', size: 1 }), padded('1'), END]),
  'rejected',
);
await breakout(
  'absolute path lands inside root',
  (f) => [file(`${f.outside}/pwned`)],
  'confined',
  (f) => assert.equal(inRoot(f, `${f.outside}/pwned`), 'pwned'),
);
await breakout(
  'symlink to / then a file through it',
  (f) => [sym('lnk', '/'), file(`lnk${f.outside}/pwned`)],
  'confined',
  (f) => assert.equal(inRoot(f, `${f.outside}/pwned`), 'pwned'),
);
await breakout(
  'symlink to .. then a file through it',
  () => [sym('up', '..'), file('up/pwned'), file('up/up/up/pwned2')],
  'confined',
  (f) => {
    assert.equal(inRoot(f, 'pwned'), 'pwned');
    assert.equal(inRoot(f, 'pwned2'), 'pwned');
  },
);
await breakout(
  'symlinked parent dir (absolute)',
  (f) => [sym('d', f.outside), file('d/pwned'), file('d/canary', 'overwritten')],
  'confined',
  (f) => assert.equal(inRoot(f, `${f.outside}/canary`), 'overwritten'),
);
await breakout(
  'symlinked parent dir (relative, climbing)',
  () => [sym('d', '../../../../../../outside'), file('d/pwned')],
  'confined',
  (f) => assert.equal(inRoot(f, 'outside/pwned'), 'pwned'),
);
await breakout(
  'symlink chain',
  (f) => [sym('a', 'b'), sym('b', 'c/../..'), sym('c', f.base), file('a/outside/pwned')],
  'confined',
);
await breakout(
  'file replacing a symlink to the canary is not written through',
  (f) => [sym('c', f.canary), file('c', 'pwned', 0o777)],
  'confined',
  (f) => assert.equal(lstatSync(join(f.root, 'c')).isFile(), true),
);
await breakout(
  'dir entry over a symlink does not chmod the target',
  (f) => [sym('d', f.outside), { entry: { name: 'd/', type: 'dir', mode: 0o777 } }],
  'confined',
  (f) => assert.equal(lstatSync(join(f.root, 'd')).isDirectory(), true),
);
await breakout(
  'device and fifo through a symlinked parent',
  (f) => [
    sym('d', f.outside),
    { entry: { name: 'd/null', type: 'char', devmajor: 1, devminor: 3 } },
    { entry: { name: 'd/fifo', type: 'fifo' } },
  ],
  'confined',
);
await breakout('hardlink to /etc/passwd', () => [hard('pw', '/etc/passwd')], 'rejected');
await breakout('hardlink ../../../../etc/passwd', () => [hard('pw', '../../../../etc/passwd')], 'rejected');
await breakout('hardlink to the canary by absolute path', (f) => [hard('c', f.canary)], 'rejected');
await breakout('hardlink through a symlinked parent', (f) => [sym('d', f.outside), hard('c', 'd/canary')], 'rejected');
await breakout(
  'hardlink to a symlink pointing outside, then writes',
  (f) => [
    sym('s', f.canary),
    hard('h', 's'),
    file('h', 'pwned', 0o777),
    { entry: { name: 's', type: 'file', mode: 0o777 }, body: 'x' },
  ],
  'confined',
  (f) => assert.equal(inRoot(f, 'h'), 'pwned'),
);
await breakout(
  'hardlink to a symlink keeps the symlink',
  (f) => [sym('s', f.canary), hard('h', 's')],
  'confined',
  (f) => assert.equal(readlinkSync(join(f.root, 'h')), f.canary),
);
await breakout('whiteout .wh..', () => [file('.wh..')], 'rejected');
await breakout('whiteout etc/.wh..', () => [file('etc/.wh..')], 'rejected');
await breakout('empty whiteout name', () => [file('.wh.')], 'rejected');
await breakout('whiteout climbing out', () => [file('../.wh.canary')], 'rejected');
await breakout('whiteout through a symlinked parent', (f) => [sym('d', f.outside), file('d/.wh.canary')], 'rejected');
await breakout('opaque through a symlinked parent', (f) => [sym('d', f.outside), file('d/.wh..wh..opq')], 'rejected');
await breakout('opaque at the root', () => [file('.wh..wh..opq')], 'rejected');
await breakout('non-directory entry named .', () => [file('.')], 'rejected');
await breakout('hardlink target missing', () => [hard('x', 'nope')], 'rejected');
