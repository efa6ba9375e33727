// Copy-up's tree copy: an image directory into an empty volume, keeping what `cp -a`
// keeps — types, modes (setuid/setgid included), owners, times, xattrs, hard links;
// symlinks are copied as symlinks and never followed; device nodes and FIFOs are made
// anew; sockets are skipped.
//
// Both sides are walked through directory fds only. Every entry is addressed as
// `/proc/self/fd/<dirfd>/<name>` (one component below a directory we hold open) and every
// operation on it either does not follow a final symlink (lstat, lchown, lutimes, lsetxattr,
// fchmodat with AT_SYMLINK_NOFOLLOW, mkdir, symlink, mknod) or creates it exclusively
// (copyFile with COPYFILE_EXCL opens O_CREAT|O_EXCL), so a symlink planted in the volume —
// by a container using it meanwhile — is never written through.
import {
  constants,
  copyFileSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  type Stats,
} from 'node:fs';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { errnoCode } from '../common/errors.ts';
import {
  closeFd,
  fchmodat,
  lgetxattr,
  llistxattr,
  lsetxattr,
  mknod,
  O_DIRECTORY,
  O_PATH,
  RESOLVE_NO_SYMLINKS,
} from '../sys/libc.ts';
import { atPath, fdPath, openInRoot, openNoFollow } from '../sys/inroot.ts';

/** Entries copied between two turns of the event loop: a big copy-up must not stall the API. */
const BATCH = 512;

interface Frame {
  src: number;
  dst: number;
  /** Relative path of this directory from the roots ('' for the roots). */
  rel: string;
  names: string[];
  next: number;
  stat: Stats;
}

export interface CopyResult {
  entries: number;
  bytes: number;
}

/**
 * Copies the contents of the directory `srcFd` into the (empty) directory `dstFd`, then
 * gives `dstFd` the source directory's owner, mode, xattrs and times (Docker's copy-up
 * does: a database image's data directory keeps its owner; `mapIds` shifts owners into a
 * remapped container's host ids). The caller owns both fds.
 */
export async function copyTree(srcFd: number, dstFd: number, mapIds?: MapIds): Promise<CopyResult> {
  const result: CopyResult = { entries: 0, bytes: 0 };
  // Hard links: the first copy of an inode, by relative directory and name.
  const links = new Map<string, { rel: string; name: string }>();
  const stack: Frame[] = [frame(srcFd, dstFd, '', statSync(fdPath(srcFd)))];
  let sinceYield = 0;
  try {
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      if (f.next >= f.names.length) {
        stack.pop();
        finishDir(f, mapIds);
        if (stack.length > 0) {
          closeFd(f.src);
          closeFd(f.dst);
        }
        continue;
      }
      const name = f.names[f.next++];
      const s = atPath(f.src, name);
      const d = atPath(f.dst, name);
      const st = lstatSync(s);
      result.entries++;
      if (++sinceYield >= BATCH) {
        sinceYield = 0;
        await yieldTurn();
      }
      if (st.isDirectory()) {
        mkdirSync(d, 0o700);
        const src = openNoFollow(f.src, name, O_PATH | O_DIRECTORY);
        let dst: number;
        try {
          dst = openNoFollow(f.dst, name, O_PATH | O_DIRECTORY);
        } catch (err) {
          closeFd(src);
          throw err;
        }
        stack.push(frame(src, dst, f.rel === '' ? name : `${f.rel}/${name}`, st));
        continue;
      }
      if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first) {
          linkTo(dstFd, first, d);
          continue; // a link shares the first copy's inode, metadata and all
        }
        copyFileSync(s, d, constants.COPYFILE_EXCL);
        result.bytes += st.size;
        if (st.nlink > 1) links.set(key, { rel: f.rel, name });
        own(d, st, mapIds);
        if (st.mode & 0o6000) fchmodat(f.dst, name, st.mode & 0o7777); // chown cleared setuid/setgid
      } else if (st.isSymbolicLink()) {
        symlinkSync(readlinkSync(s), d);
        own(d, st, mapIds);
      } else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
        mknod(d, st.mode, major(st.rdev), minor(st.rdev));
        own(d, st, mapIds);
        fchmodat(f.dst, name, st.mode & 0o7777);
      } else {
        continue; // sockets live only as long as their listener
      }
      copyXattrs(s, d);
      lutimesSync(d, st.atimeMs / 1000, st.mtimeMs / 1000);
    }
  } finally {
    for (const f of stack.slice(1)) {
      closeFd(f.src);
      closeFd(f.dst);
    }
  }
  return result;
}

function frame(src: number, dst: number, rel: string, stat: Stats): Frame {
  return { src, dst, rel, names: readdirSync(fdPath(src)), next: 0, stat };
}

/** A directory's own metadata goes on after its children (which change its mtime). */
function finishDir(f: Frame, mapIds: MapIds | undefined): void {
  // `/proc/self/fd/N/.`: the directory the fd pins, named by a last component that is the
  // directory itself (the magic link alone would be the link, for the l* calls).
  const d = `${fdPath(f.dst)}/.`;
  own(d, f.stat, mapIds);
  fchmodat(-100, d, f.stat.mode & 0o7777);
  copyXattrs(`${fdPath(f.src)}/.`, d);
  lutimesSync(d, f.stat.atimeMs / 1000, f.stat.mtimeMs / 1000);
}

/** The owner a copy gets for the source's ids (a remapped container's host ids for its own). */
export type MapIds = (uid: number, gid: number) => [number, number];

function own(path: string, st: Stats, mapIds: MapIds | undefined): void {
  const [uid, gid] = mapIds ? mapIds(st.uid, st.gid) : [st.uid, st.gid];
  lchownSync(path, uid, gid);
}

/** xattrs as they are (capabilities, ACLs, labels); a filesystem without them is no error. */
function copyXattrs(src: string, dst: string): void {
  let names: string[];
  try {
    names = llistxattr(src);
  } catch (err) {
    if (unsupported(err)) return;
    throw err;
  }
  for (const n of names) {
    const v = lgetxattr(src, n);
    if (v === null) continue;
    try {
      lsetxattr(dst, n, v);
    } catch (err) {
      if (!unsupported(err)) throw err;
    }
  }
}

const unsupported = (err: unknown) => errnoCode(err) === 'ENOTSUP' || errnoCode(err) === 'EOPNOTSUPP';

function linkTo(dstRoot: number, first: { rel: string; name: string }, dst: string): void {
  const dir = openInRoot(dstRoot, first.rel, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  try {
    linkSync(atPath(dir, first.name), dst);
  } finally {
    closeFd(dir);
  }
}

// Linux's dev_t encoding (glibc's gnu_dev_major/minor).
const major = (rdev: number) => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
const minor = (rdev: number) => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
