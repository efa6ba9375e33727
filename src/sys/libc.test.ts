import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { mkdirAllInRoot, openRoot, parentInRoot, readFileInRoot, fdPath } from './inroot.ts';
import { readlinkSync } from 'node:fs';
import {
  closeFd,
  getPipeSize,
  getrlimit,
  lgetxattr,
  llistxattr,
  lsetxattr,
  makedev,
  mknod,
  mount,
  openat2,
  O_RDONLY,
  RESOLVE_IN_ROOT,
  RLIMIT_NOFILE,
  S_IFCHR,
  setPipeSize,
  setrlimit,
  syncfs,
  umount2,
} from './libc.ts';
import { isMounted, mountsUnder, parseMountInfo, unmountRecursive } from './mountinfo.ts';

// Run as root (scripts/test does); `npm run test:unit` as another user skips these.
const needsRoot = process.getuid?.() === 0 ? false : 'needs root (mknod, trusted xattrs, mount)';

function tmp() {
  const path = mkdtempSync('/tmp/berth-libc-');
  return {
    path,
    [Symbol.dispose]: () => {
      unmountRecursive(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

test('errors carry errno names like node:fs', () => {
  assert.throws(
    () => umount2('/nonexistent-berth'),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'umount2',
  );
  assert.throws(() => mknod('/nonexistent-berth/x', S_IFCHR, 0, 0), /ENOENT: no such file or directory, mknod/);
});

test('xattrs, mknod, syncfs, pipe sizes, rlimits', { skip: needsRoot }, () => {
  using t = tmp();
  const f = join(t.path, 'f');
  writeFileSync(f, 'x');
  lsetxattr(f, 'user.k', Buffer.from([0, 1, 2]));
  assert.deepEqual(lgetxattr(f, 'user.k'), Buffer.from([0, 1, 2]));
  assert.equal(lgetxattr(f, 'user.none'), null);
  assert.ok(llistxattr(f).includes('user.k'));
  mknod(join(t.path, 'c'), S_IFCHR | 0o600, 4, 300);
  assert.equal(BigInt(statSync(join(t.path, 'c')).rdev), makedev(4, 300));
  const fd = openSync(t.path, 'r');
  syncfs(fd);
  closeSync(fd);
  const { fds } = pipePair();
  assert.ok(setPipeSize(fds[1], 1 << 20) >= 1 << 20);
  assert.ok(getPipeSize(fds[1]) >= 1 << 20);
  closeSync(fds[0]);
  const lim = getrlimit(RLIMIT_NOFILE);
  assert.ok(lim.soft > 0n && lim.hard >= lim.soft);
  setrlimit(RLIMIT_NOFILE, lim);
});

function pipePair(): { fds: number[] } {
  // A FIFO opened read-write gives a pipe fd without child processes.
  const dir = mkdtempSync('/tmp/berth-pipe-');
  mknod(join(dir, 'p'), 0o010600);
  const fd = openSync(join(dir, 'p'), 'r+');
  rmSync(dir, { recursive: true });
  return { fds: [fd, fd] };
}

test('openat2 RESOLVE_IN_ROOT keeps symlinks inside the root', async () => {
  using t = tmp();
  const root = join(t.path, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'in-root');
  symlinkSync('/etc/passwd', join(root, 'abs'));
  symlinkSync('../../../../../../etc/passwd', join(root, 'rel'));
  symlinkSync('/', join(root, 'top'));
  for (const p of ['abs', 'rel', 'top/etc/passwd', '../../etc/passwd', '/etc/passwd']) {
    assert.equal(readFileInRoot(root, p, 100).toString(), 'in-root', p);
  }
  const rootFd = openRoot(root);
  try {
    const fd = openat2(rootFd, 'abs', O_RDONLY, RESOLVE_IN_ROOT);
    closeSync(fd);
    // mkdir -p through symlinks and dangling links: everything lands under root.
    symlinkSync(join(t.path, 'outside-new'), join(root, 'dangling'));
    closeFd(mkdirAllInRoot(rootFd, 'dangling/a/b'));
    closeFd(mkdirAllInRoot(rootFd, 'top/x/../y'));
    assert.deepEqual(readdirSync(t.path).sort(), ['root']);
    assert.ok(statSync(join(root, t.path, 'outside-new/a/b')).isDirectory());
    assert.ok(statSync(join(root, 'y')).isDirectory());
    assert.throws(() => mkdirAllInRoot(rootFd, 'top/z', { noSymlinks: true }), /ELOOP/);
    const ref = parentInRoot(rootFd, 'top/etc/passwd');
    assert.equal(readlinkSync(fdPath(ref.dirfd)), join(root, 'etc'));
    assert.equal(readFileSync(ref.path, 'utf8'), 'in-root');
    ref.close();
  } finally {
    closeFd(rootFd);
  }
  assert.throws(
    () => readFileInRoot(root, 'etc', 100),
    (e: unknown) => isKind(e, 'invalid-argument'),
  );
  assert.throws(
    () => readFileInRoot(root, 'etc/passwd', 3),
    (e: unknown) => isKind(e, 'invalid-argument'),
  );
});

test('mountinfo: parse, isMounted, mountsUnder, recursive unmount', { skip: needsRoot }, () => {
  const [e] = parseMountInfo('36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n');
  assert.equal(e.mountPoint, '/mnt two');
  assert.equal(e.root, '/mnt1');
  assert.deepEqual(e.optionalFields, ['master:1']);
  assert.equal(e.fsType, 'ext3');
  assert.equal(e.source, '/dev/root');

  using t = tmp();
  const a = join(t.path, 'with space');
  mkdirSync(a);
  mount('tmpfs', a, 'tmpfs', 0, 'size=1m');
  mkdirSync(join(a, 'b'));
  mount('tmpfs', join(a, 'b'), 'tmpfs', 0, 'size=1m');
  assert.ok(isMounted(a));
  assert.equal(mountsUnder(t.path).length, 2);
  const busy = openSync(join(a, 'b'), 'r'); // keeps b busy: falls back to MNT_DETACH
  try {
    unmountRecursive(t.path);
  } finally {
    closeSync(busy);
  }
  assert.equal(mountsUnder(t.path).length, 0);
});
