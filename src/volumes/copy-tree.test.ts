import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  linkSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { closeFd, lgetxattr, lsetxattr, mknod, S_IFCHR, S_IFIFO } from '../sys/libc.ts';
import { openRoot } from '../sys/inroot.ts';
import { copyTree } from './copy-tree.ts';

const isRoot = process.getuid?.() === 0;

function tmp() {
  const path = mkdtempSync('/tmp/berth-copy-');
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

async function copy(src: string, dst: string) {
  const s = openRoot(src);
  const d = openRoot(dst);
  try {
    return await copyTree(s, d);
  } finally {
    closeFd(s);
    closeFd(d);
  }
}

test('copy-up keeps types, modes, owners, times, xattrs and hard links; symlinks stay links', {
  skip: !isRoot && 'needs root',
}, async () => {
  using t = tmp();
  const src = join(t.path, 'src');
  const dst = join(t.path, 'dst');
  mkdirSync(join(src, 'sub', 'deep'), { recursive: true });
  mkdirSync(dst);
  writeFileSync(join(src, 'file'), 'hello');
  chmodSync(join(src, 'file'), 0o640);
  chownSync(join(src, 'file'), 1000, 1001);
  writeFileSync(join(src, 'suid'), '#!/bin/sh\n');
  chownSync(join(src, 'suid'), 0, 0);
  chmodSync(join(src, 'suid'), 0o4755);
  writeFileSync(join(src, 'sub', 'deep', 'x'), 'x'.repeat(100_000));
  linkSync(join(src, 'file'), join(src, 'sub', 'hard'));
  symlinkSync('/etc/shadow', join(src, 'evil'));
  symlinkSync('../file', join(src, 'sub', 'rel'));
  mknod(join(src, 'fifo'), S_IFIFO | 0o600);
  mknod(join(src, 'null'), S_IFCHR | 0o666, 1, 3);
  lsetxattr(join(src, 'file'), 'user.note', Buffer.from('kept'));
  chmodSync(join(src, 'sub'), 0o750);
  chownSync(join(src, 'sub'), 33, 33);
  chownSync(src, 999, 999);
  chmodSync(src, 0o700);
  utimesSync(join(src, 'sub', 'deep', 'x'), 1_000_000, 1_000_000);
  utimesSync(join(src, 'sub'), 2_000_000, 2_000_000);

  const r = await copy(src, dst);
  assert.equal(r.entries, 10);

  const st = (p: string) => lstatSync(join(dst, p));
  assert.equal(readFileSync(join(dst, 'file'), 'utf8'), 'hello');
  assert.equal(st('file').mode & 0o7777, 0o640);
  assert.equal(st('file').uid, 1000);
  assert.equal(st('file').gid, 1001);
  assert.equal(st('suid').mode & 0o7777, 0o4755, 'setuid survives the chown');
  assert.equal(st('sub/deep/x').size, 100_000);
  assert.equal(Math.floor(st('sub/deep/x').mtimeMs / 1000), 1_000_000);
  assert.equal(Math.floor(st('sub').mtimeMs / 1000), 2_000_000, 'a directory keeps its time after its children');
  assert.equal(st('sub').mode & 0o7777, 0o750);
  assert.equal(st('sub').uid, 33);
  assert.equal(st('sub/hard').ino, st('file').ino, 'hard links stay linked');
  assert.ok(st('evil').isSymbolicLink());
  assert.equal(readlinkSync(join(dst, 'evil')), '/etc/shadow');
  assert.equal(readlinkSync(join(dst, 'sub', 'rel')), '../file');
  assert.ok(st('fifo').isFIFO());
  assert.ok(st('null').isCharacterDevice());
  assert.equal(st('null').rdev, lstatSync('/dev/null').rdev);
  assert.equal(lgetxattr(join(dst, 'file'), 'user.note')?.toString(), 'kept');
  // The destination root takes the source directory's owner and mode (a database's data dir).
  assert.equal(lstatSync(dst).uid, 999);
  assert.equal(lstatSync(dst).mode & 0o7777, 0o700);
  // And nothing was read through the link: the host file is not in the copy.
  assert.notEqual(readFileSync('/etc/hostname', 'utf8'), '');
});

test('copy-up copies what cp -a copies (differential check)', { skip: !isRoot && 'needs root' }, async () => {
  using t = tmp();
  const src = join(t.path, 'src');
  mkdirSync(join(src, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(src, 'a', `f${i}`), `content ${i}`);
  symlinkSync('a/f1', join(src, 'l'));
  mkdirSync(join(t.path, 'ours'));
  await copy(src, join(t.path, 'ours'));
  execFileSync('cp', ['-a', `${src}/.`, join(t.path, 'theirs')]);
  const list = (d: string) =>
    execFileSync('find', ['.', '-printf', '%p %y %m %U %G %s %l\n'], { cwd: d })
      .toString()
      .split('\n')
      .sort()
      .join('\n');
  assert.equal(list(join(t.path, 'ours')), list(join(t.path, 'theirs')));
});
