// Extracts an uncompressed layer tar into a layer's diff directory, in overlayfs form.
//
// Containment (nothing is ever created, written, chmod'ed or chown'ed outside `root`):
// - Entry names are cleaned like Docker's: leading `/` and `./` stripped, `a//b/./c`
//   normalised. A name that still climbs out (`../x`, `a/../../x`) or contains NUL is
//   REJECTED with invalid-argument, as are hardlink targets that do.
// - Symlinks met while resolving a parent directory are CONFINED, not rejected: parents
//   are opened with openat2(RESOLVE_IN_ROOT), so `lnk -> /etc` then `lnk/x` writes
//   root/etc/x and `lnk -> ../..` stops at root — containerd's semantics. The final
//   component is then handled through `/proc/self/fd/<parentfd>/<name>` with operations
//   that never follow it (see sys/inroot.ts), so a symlink planted at a name is replaced,
//   never written through. Symlinks themselves are created as-is.
// - Whiteouts and opaque markers may not go through symlinked parents (RESOLVE_NO_SYMLINKS)
//   and may not name `.`, `..` or the root: such archives are rejected.
// - Overlay control xattrs (trusted.overlay.*, user.overlay.*) from the archive are
//   dropped with a warning: only OCI whiteout files may express deletion.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants as fsc,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../common/digest.ts';
import { BerthError, internal, invalidArgument } from '../common/errors.ts';
import { lstatOrNull, openNoFollow, openRoot, parentInRoot, removeAt } from '../sys/inroot.ts';
import type { InRootRef } from '../sys/inroot.ts';
import {
  closeFd,
  fchmodat,
  startWriteback,
  O_CLOEXEC,
  fsetxattr,
  lsetxattr,
  mknod,
  O_DIRECTORY,
  O_RDONLY,
  S_IFBLK,
  S_IFCHR,
  S_IFIFO,
} from '../sys/libc.ts';
import { TarReader } from '../tar/reader.ts';
import type { TarEntry, TarHeader } from '../tar/reader.ts';

export interface ApplyOptions {
  onWarning?: (msg: string) => void;
  signal?: AbortSignal;
  /** Create char/block device nodes; default: yes unless running in a user namespace. */
  devices?: boolean;
  /**
   * Plain extraction (`cp` into a container) rather than a layer: `.wh.` names are
   * ordinary files, the archive's `.` entry leaves the target directory alone.
   */
  plain?: boolean;
  /** Refuse to replace a directory with a non-directory or the reverse (Docker's cp flag). */
  noOverwriteDirNonDir?: boolean;
  /** Owner for every entry instead of the archive's uid/gid. */
  owner?: { uid: number; gid: number };
  /** The owner written for an entry's (or `owner`'s) ids: a remapped container's host ids. */
  mapIds?: (uid: number, gid: number) => [number, number];
}

export interface ApplyResult {
  /** Sum of regular file sizes extracted (Docker's layer "size"). */
  size: number;
  /** Bytes of tar read, trailing padding included. */
  tarSize: number;
  /** sha256 of exactly the bytes read from `tar`. */
  diffId: Digest;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** Docker-style name cleaning; '' is the root itself. Throws on names that escape. */
export function cleanName(name: string): string {
  if (name.includes('\0')) throw invalidArgument(`invalid entry name ${JSON.stringify(name)}: contains NUL`);
  // Absolute names are rooted first ("/../x" is "/x"), as filepath.Clean does for Docker.
  let n = name.startsWith('/') ? posix.normalize(name).replace(/^\/+/, '') : posix.normalize(name);
  n = n.replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  if (n === '..' || n.startsWith('../'))
    throw invalidArgument(`invalid entry name ${JSON.stringify(name)}: escapes the layer root`);
  return n;
}

const WRITEBACK_MIN = 1 << 20;

interface DirTime {
  rel: string;
  mtime: number;
}

interface Ctx {
  root: string;
  rootFd: number;
  warn: (msg: string) => void;
  devices: boolean;
  plain: boolean;
  noOverwriteDirNonDir: boolean;
  owner?: { uid: number; gid: number };
  mapIds?: (uid: number, gid: number) => [number, number];
  dirTimes: DirTime[];
  size: number;
}

export async function applyLayer(
  root: string,
  tar: Readable | AsyncIterable<Buffer>,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const hash = createHash('sha256');
  const reader = new TarReader(tar, { onData: (c) => hash.update(c), onWarning: opts.onWarning });
  const ctx: Ctx = {
    root,
    rootFd: openRoot(root),
    warn: opts.onWarning ?? (() => {}),
    devices: opts.devices ?? !inUserNamespace(),
    plain: Boolean(opts.plain),
    noOverwriteDirNonDir: Boolean(opts.noOverwriteDirNonDir),
    owner: opts.owner,
    mapIds: opts.mapIds,
    dirTimes: [],
    size: 0,
  };
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const entry = await reader.next();
      if (!entry) break;
      try {
        await applyEntry(ctx, entry);
      } catch (err) {
        throw wrapEntryError(entry.header.name, err);
      }
    }
    restoreDirTimes(ctx);
  } catch (err) {
    (tar as Readable).destroy?.();
    throw err;
  } finally {
    closeFd(ctx.rootFd);
  }
  return { size: ctx.size, tarSize: reader.bytesRead, diffId: `sha256:${hash.digest('hex')}` };
}

async function applyEntry(ctx: Ctx, { header: hdr, body }: TarEntry): Promise<void> {
  const owned = ctx.owner ? { ...hdr, ...ctx.owner } : hdr;
  const ids = ctx.mapIds?.(owned.uid, owned.gid);
  const h = ids ? { ...owned, uid: ids[0], gid: ids[1] } : owned;
  const rel = cleanName(h.name);
  const base = rel === '' ? '' : posix.basename(rel);
  const dirRel = rel === '' ? '' : posix.dirname(rel).replace(/^\.$/, '');
  if (base.startsWith(WHITEOUT_PREFIX) && !ctx.plain) {
    await drain(body);
    if (base === OPAQUE_MARKER) return markOpaque(ctx, dirRel);
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
      ctx.warn(`ignored whiteout metadata entry ${h.name}`);
      return;
    }
    return whiteout(ctx, dirRel, base.slice(WHITEOUT_PREFIX.length));
  }
  if (rel === '') {
    if (ctx.plain && h.type === 'dir') return;
    if (h.type !== 'dir') throw invalidArgument(`${h.type} entry cannot replace the layer root`);
    chownSync(ctx.root, h.uid, h.gid);
    chmodSync(ctx.root, h.mode);
    ctx.dirTimes.push({ rel: '', mtime: h.mtime });
    return;
  }
  const ref = parentInRoot(ctx.rootFd, rel, { create: true });
  try {
    const existing = lstatOrNull(ref.path);
    if (existing && ctx.noOverwriteDirNonDir && existing.isDirectory() !== (h.type === 'dir')) {
      throw invalidArgument(
        existing.isDirectory()
          ? `cannot overwrite directory ${JSON.stringify('/' + rel)} with non-directory`
          : `cannot overwrite non-directory ${JSON.stringify('/' + rel)} with directory`,
      );
    }
    // A later entry for the same name replaces it; only dir-over-dir merges.
    if (existing && !(h.type === 'dir' && existing.isDirectory())) removeAt(ref.path);
    switch (h.type) {
      case 'file':
        await writeFile(ctx, ref, h, body);
        return;
      case 'dir':
        if (!existing?.isDirectory()) mkdirSync(ref.path, 0o700);
        setDirMeta(ctx, ref, h);
        ctx.dirTimes.push({ rel, mtime: h.mtime });
        return;
      case 'symlink':
        symlinkSync(h.linkname, ref.path);
        lchownSync(ref.path, h.uid, h.gid);
        setXattrsByPath(ctx, ref.path, h, true);
        lutimesSync(ref.path, h.mtime, h.mtime);
        return;
      case 'hardlink':
        hardlink(ctx, ref, h);
        return;
      case 'char':
      case 'block':
      case 'fifo': {
        if (h.type !== 'fifo' && !ctx.devices) {
          ctx.warn(`skipped device node ${h.name} (device nodes cannot be created in a user namespace)`);
          return;
        }
        const kind = h.type === 'fifo' ? S_IFIFO : h.type === 'char' ? S_IFCHR : S_IFBLK;
        mknod(ref.path, kind | 0o600, h.devmajor, h.devminor);
        lchownSync(ref.path, h.uid, h.gid);
        // After chown (which clears setuid) and without following: fchmodat NOFOLLOW.
        fchmodat(ref.dirfd, ref.name, h.mode);
        setXattrsByPath(ctx, ref.path, h, false);
        lutimesSync(ref.path, h.mtime, h.mtime);
        return;
      }
    }
  } finally {
    ref.close();
  }
}

async function writeFile(ctx: Ctx, ref: InRootRef, h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
  // O_EXCL|O_NOFOLLOW: the name was just cleared; never open whatever might sit there.
  const fd = openSync(ref.path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | O_CLOEXEC, 0o600);
  try {
    // Synchronous writes: page-cache copies of one chunk at a time, far cheaper than a
    // threadpool round trip per chunk; the event loop still turns between chunks.
    for await (const chunk of body) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    // Big files start going to disk now: the layer's final syncfs then has little to wait for.
    if (h.size >= WRITEBACK_MIN) startWriteback(fd);
    fchownSync(fd, h.uid, h.gid);
    fchmodSync(fd, h.mode); // after chown, which clears setuid/setgid
    for (const [k, v] of allowedXattrs(ctx, h)) fsetxattr(fd, k, v);
    futimesSync(fd, h.mtime, h.mtime);
  } finally {
    closeSync(fd);
  }
  ctx.size += h.size;
}

function setDirMeta(ctx: Ctx, ref: InRootRef, h: TarHeader): void {
  const fd = openNoFollow(ref.dirfd, ref.name, O_RDONLY | O_DIRECTORY);
  try {
    fchownSync(fd, h.uid, h.gid);
    fchmodSync(fd, h.mode);
    for (const [k, v] of allowedXattrs(ctx, h)) fsetxattr(fd, k, v);
  } finally {
    closeSync(fd);
  }
}

function hardlink(ctx: Ctx, ref: InRootRef, h: TarHeader): void {
  const target = cleanName(h.linkname);
  if (target === '') throw invalidArgument(`hardlink ${h.name} points at the layer root`);
  // The target's parent is resolved inside the root too; link(2) never follows a
  // final symlink, so a link to a symlink links the symlink itself, as tar does.
  let t: InRootRef;
  try {
    t = parentInRoot(ctx.rootFd, target);
  } catch (err) {
    throw invalidArgument(`hardlink ${h.name}: target ${h.linkname} is not in this layer`, err);
  }
  try {
    linkSync(t.path, ref.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalidArgument(`hardlink ${h.name}: target ${h.linkname} is not in this layer`, err);
    if (code === 'EPERM') throw invalidArgument(`hardlink ${h.name}: target ${h.linkname} is a directory`, err);
    throw err;
  } finally {
    t.close();
  }
}

/** `.wh.<name>` in dir → overlay whiteout: a 0:0 char device called <name>. */
function whiteout(ctx: Ctx, dirRel: string, name: string): void {
  if (name === '' || name === '.' || name === '..')
    throw invalidArgument(`invalid whiteout ${JSON.stringify(WHITEOUT_PREFIX + name)} in ${dirRel || '/'}`);
  const ref = inRootOrReject(
    () => parentInRoot(ctx.rootFd, posix.join(dirRel, name), { create: true, noSymlinks: true }),
    'whiteout',
    dirRel,
  );
  try {
    if (lstatOrNull(ref.path)) removeAt(ref.path);
    mknod(ref.path, S_IFCHR, 0, 0);
  } finally {
    ref.close();
  }
}

/** `.wh..wh..opq` in dir → trusted.overlay.opaque=y on dir (hides lower layers' content). */
function markOpaque(ctx: Ctx, dirRel: string): void {
  if (dirRel === '') throw invalidArgument('invalid archive: opaque whiteout at the layer root');
  const ref = inRootOrReject(
    () => parentInRoot(ctx.rootFd, dirRel, { create: true, noSymlinks: true }),
    'opaque whiteout',
    dirRel,
  );
  try {
    const st = lstatOrNull(ref.path);
    if (st && !st.isDirectory())
      throw invalidArgument(`invalid archive: opaque whiteout in ${dirRel}, which is not a directory`);
    if (!st) mkdirSync(ref.path, 0o755);
    lsetxattr(ref.path, OPAQUE_XATTR, Buffer.from('y'));
  } finally {
    ref.close();
  }
}

function inRootOrReject(resolve: () => InRootRef, what: string, dirRel: string): InRootRef {
  try {
    return resolve();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR')
      throw invalidArgument(`invalid archive: ${what} through a symlink or non-directory at ${dirRel}`, err);
    throw err;
  }
}

function allowedXattrs(ctx: Ctx, h: TarHeader): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const [k, v] of h.xattrs) {
    if (k.startsWith('trusted.overlay.') || k.startsWith('user.overlay.')) {
      ctx.warn(`dropped overlay control xattr ${k} on ${h.name}`);
      continue;
    }
    out.push([k, v]);
  }
  return out;
}

function setXattrsByPath(ctx: Ctx, path: string, h: TarHeader, isSymlink: boolean): void {
  for (const [k, v] of allowedXattrs(ctx, h)) {
    try {
      lsetxattr(path, k, v);
    } catch (err) {
      // user.* xattrs are not permitted on symlinks and special files: keep going.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        ctx.warn(`could not set xattr ${k} on ${isSymlink ? 'symlink ' : ''}${h.name}: ${code}`);
      } else throw err;
    }
  }
}

/** Directory mtimes last: creating entries inside a directory bumps its mtime. */
function restoreDirTimes(ctx: Ctx): void {
  for (let i = ctx.dirTimes.length - 1; i >= 0; i--) {
    const { rel, mtime } = ctx.dirTimes[i];
    if (rel === '') {
      utimesSync(ctx.root, mtime, mtime);
      continue;
    }
    let ref: InRootRef;
    try {
      ref = parentInRoot(ctx.rootFd, rel);
    } catch {
      continue; // replaced or removed by a later entry
    }
    try {
      const st = lstatOrNull(ref.path);
      if (st?.isDirectory()) lutimesSync(ref.path, mtime, mtime);
    } finally {
      ref.close();
    }
  }
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) {
    /* discard */
  }
}

// Kernel refusals caused by the archive's shape are the archive's fault (400), the rest
// (ENOSPC, EIO…) keep their cause and stay internal.
const SHAPE_ERRORS = new Set([
  'ENAMETOOLONG',
  'ENOTDIR',
  'ELOOP',
  'EEXIST',
  'ENOENT',
  'EISDIR',
  'EINVAL',
  'EXDEV',
  'EMLINK',
]);

function wrapEntryError(name: string, err: unknown): unknown {
  if (err instanceof BerthError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const msg = `layer entry ${JSON.stringify(name)}: ${(err as Error).message}`;
  return code && SHAPE_ERRORS.has(code) ? invalidArgument(msg, err) : internal(msg, err);
}

let userns: boolean | undefined;

/** In a user namespace the uid map is not the identity over the whole range. */
function inUserNamespace(): boolean {
  if (userns === undefined) {
    try {
      const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
      userns = !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
    } catch {
      userns = false;
    }
  }
  return userns;
}
