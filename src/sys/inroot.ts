// Containment primitives for trees we do not trust (layer diffs, container rootfs).
// They are synchronous on purpose: each is a handful of syscalls of a few microseconds,
// and a layer of 50k entries would otherwise spend most of its time in threadpool hops.
//
// Approach: every path inside a tree is resolved by the kernel with
// openat2(rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). RESOLVE_IN_ROOT makes
// the walk treat rootfd as "/": `..` stops at the root and absolute symlinks restart at
// the root, so no symlink in the tree can lead out of it, and the check happens at use
// time (no path-string check that a racing rename could invalidate).
//
// We only ever resolve a *parent directory* that way and keep it as an fd. The final
// component is then operated on relative to that fd. Node's fs API takes paths, not
// dirfds, so we address it as `/proc/self/fd/<dirfd>/<name>`: the kernel follows the
// /proc magic link straight to the already-resolved directory, and `<name>` is a single
// component looked up in it. Every operation we do on that path does not follow a final
// symlink (lstat, mkdir, symlink, link, mknod, open with O_CREAT|O_EXCL|O_NOFOLLOW,
// lchown, lutimes, lsetxattr, unlink, rmdir, fchmodat(AT_SYMLINK_NOFOLLOW)), so even a
// hostile symlink sitting at the final name is never traversed.
import { closeSync, fstatSync, lstatSync, mkdirSync, readlinkSync, readSync, rmSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { invalidArgument } from '../common/errors.ts';
import {
  closeFd,
  O_CLOEXEC,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  openat2,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
} from './libc.ts';

export const AT_FDCWD = -100;
const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

/** `/proc/self/fd/<dirfd>/<name>`: the final component `name` inside an open directory. */
export function atPath(dirfd: number, name: string): string {
  checkName(name);
  return `/proc/self/fd/${dirfd}/${name}`;
}

/** `/proc/self/fd/<fd>`: the object an fd refers to (follows the magic link on purpose). */
export const fdPath = (fd: number) => `/proc/self/fd/${fd}`;

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw invalidArgument(`invalid path component ${JSON.stringify(name)}`);
  }
}

/** Opens a tree's root directory as an O_PATH fd; close it with closeFd. */
export function openRoot(root: string): number {
  return openat2(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

/** Splits a relative in-root path into clean components; `..`/`.`/empty are dropped by the kernel walk anyway but we refuse `..` here to keep names honest. */
export function splitRel(rel: string): string[] {
  return rel.split('/').filter((c) => c !== '' && c !== '.');
}

/** openat2 of `rel` confined to the tree whose root is `rootFd`. */
export function openInRoot(rootFd: number, rel: string, flags: number, extraResolve = 0, mode = 0): number {
  const p = splitRel(rel).join('/') || '.';
  return openat2(rootFd, p, flags | O_CLOEXEC, IN_ROOT | extraResolve, mode);
}

/** O_PATH fd of the directory at `rel` inside the root (symlinks resolved inside it). */
export function openDirInRoot(rootFd: number, rel: string, extraResolve = 0): number {
  return openInRoot(rootFd, rel, O_PATH | O_DIRECTORY, extraResolve);
}

export interface MkdirOptions {
  mode?: number;
  /** Refuse to traverse any symlink (ELOOP) instead of resolving it inside the root. */
  noSymlinks?: boolean;
}

const MAX_SYMLINK_HOPS = 40;

/**
 * mkdir -p of `rel` inside the root; returns an O_PATH fd of the final directory.
 *
 * Fast path: the kernel resolves the whole path with RESOLVE_IN_ROOT. When something is
 * missing we walk one component at a time from fds we hold, each step refusing symlinks
 * (RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). A symlink met on the way is read and its target
 * interpreted *lexically inside the root* — absolute targets restart at the root, `..`
 * stops there — exactly the RESOLVE_IN_ROOT rules, but able to create the directories a
 * dangling link points at (inside the root). Missing components are created with mkdir
 * on `/proc/self/fd/<parent>/<name>`.
 */
export function mkdirAllInRoot(rootFd: number, rel: string, opts: MkdirOptions = {}): number {
  const extra = opts.noSymlinks ? RESOLVE_NO_SYMLINKS : 0;
  try {
    return openDirInRoot(rootFd, rel, extra);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let pending = splitRel(rel);
  let curRel: string[] = [];
  let cur = openDirInRoot(rootFd, '.');
  let hops = 0;
  try {
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '..') {
        // Lexical: curRel holds only real directories, so this is the physical parent.
        curRel.pop();
        closeFd(cur);
        cur = openDirInRoot(rootFd, curRel.join('/'), RESOLVE_NO_SYMLINKS);
        continue;
      }
      checkName(name);
      let next: number | undefined;
      for (let attempt = 0; next === undefined; attempt++) {
        try {
          next = openat2(
            cur,
            name,
            O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
          );
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' && attempt === 0) {
            try {
              mkdirSync(atPath(cur, name), opts.mode ?? 0o755);
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
            }
            continue;
          }
          if (code !== 'ENOTDIR' && code !== 'ELOOP') throw err;
          const st = lstatOrNull(atPath(cur, name));
          if (!st?.isSymbolicLink() || opts.noSymlinks) throw err;
          if (++hops > MAX_SYMLINK_HOPS)
            throw Object.assign(new Error(`too many symlinks resolving ${rel}`), { code: 'ELOOP' });
          const target = readlinkSync(atPath(cur, name));
          // Restart from the root with the link's target spliced in front of the rest.
          const base = target.startsWith('/') ? [] : curRel;
          pending = [...splitRel([...base, target].join('/')), ...pending];
          curRel = [];
          closeFd(cur);
          cur = openDirInRoot(rootFd, '.');
          break;
        }
      }
      if (next === undefined) continue;
      closeFd(cur);
      cur = next;
      curRel.push(name);
    }
    return cur;
  } catch (err) {
    closeFd(cur);
    throw err;
  }
}

/** A directory fd plus one final component inside it. */
export interface InRootRef {
  readonly dirfd: number;
  readonly name: string;
  /** `/proc/self/fd/<dirfd>/<name>` */
  readonly path: string;
  close(): void;
}

/**
 * Resolves the parent of `rel` inside the root (creating it when `create`), returning a
 * reference to the final component that is never itself followed.
 */
export function parentInRoot(rootFd: number, rel: string, opts: MkdirOptions & { create?: boolean } = {}): InRootRef {
  const parts = splitRel(rel);
  const name = parts.pop();
  if (name === undefined) throw invalidArgument('the root itself has no parent');
  checkName(name);
  const dirRel = parts.join('/');
  const dirfd = opts.create
    ? mkdirAllInRoot(rootFd, dirRel, opts)
    : openDirInRoot(rootFd, dirRel, opts.noSymlinks ? RESOLVE_NO_SYMLINKS : 0);
  let open = true;
  return {
    dirfd,
    name,
    path: atPath(dirfd, name),
    close() {
      if (open) closeFd(dirfd);
      open = false;
    },
  };
}

/** lstat of the final component, or null when it does not exist. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Removes the final component whatever it is; fs.rm never follows symlinks it meets. */
export function removeAt(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Opens the final component read-only without following it (O_NOFOLLOW, one component). */
export function openNoFollow(dirfd: number, name: string, flags: number): number {
  checkName(name);
  return openat2(
    dirfd,
    name,
    flags | O_NOFOLLOW | O_CLOEXEC,
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  );
}

/**
 * Reads a regular file from a tree whose symlinks must resolve inside the tree (an image's
 * /etc/passwd, say). Refuses non-regular files and files larger than maxBytes.
 */
export function readFileInRoot(root: string, rel: string, maxBytes: number): Buffer {
  const rootFd = openRoot(root);
  let fd: number;
  try {
    fd = openInRoot(rootFd, rel, O_RDONLY);
  } finally {
    closeFd(rootFd);
  }
  try {
    return readRegularFd(fd, rel, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** Reads an fd known to refer to a regular file, up to maxBytes. */
export function readRegularFd(fd: number, what: string, maxBytes: number): Buffer {
  const st = fstatSync(fd);
  if (!st.isFile()) throw invalidArgument(`${what} is not a regular file`);
  if (st.size > maxBytes) throw invalidArgument(`${what} is larger than ${maxBytes} bytes`);
  const buf = Buffer.alloc(st.size);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  // A file growing while read is cut at the size we checked.
  return buf.subarray(0, off);
}
