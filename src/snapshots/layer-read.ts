// Reads one file (an image's /etc/passwd, /etc/group…) from a stack of layer diffs without
// mounting them, with overlayfs's lookup rules: the topmost layer that has a name wins; a
// whiteout (0:0 char device) hides it; only directories merge with the layers below, and
// an opaque directory stops the merge. Symlinks are resolved in the *merged* view (so a
// link in one layer may point at a file in another), with absolute targets and `..`
// confined to the image root and a bounded number of hops. The real filesystem is only
// ever walked through directories we have lstat()ed, so no host symlink is followed.
import { closeSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument, notFound } from '../common/errors.ts';
import {
  lgetxattr,
  O_CLOEXEC,
  O_NOFOLLOW,
  O_RDONLY,
  openat2,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
} from '../sys/libc.ts';
import { AT_FDCWD, readRegularFd } from '../sys/inroot.ts';
import { OPAQUE_XATTR } from './apply.ts';

const MAX_LINK_HOPS = 40;

export interface ReadFromLayersOptions {
  /** A container's upper dir, consulted above the layers. */
  upperDir?: string;
  /** Default 1 MiB. */
  maxBytes?: number;
}

/** Real directories (one per layer that contributes) making up one merged directory. */
type Merged = string[];

export async function readFileFromLayers(
  lowerDirs: string[],
  path: string,
  opts: ReadFromLayersOptions = {},
): Promise<Buffer> {
  const layers = opts.upperDir ? [opts.upperDir, ...lowerDirs] : [...lowerDirs];
  const maxBytes = opts.maxBytes ?? 1 << 20;
  let pending = components(path);
  let dirStack: { name: string; merged: Merged }[] = [];
  let hops = 0;
  const rootMerged = (): Merged => layers;
  const current = () => (dirStack.length ? dirStack[dirStack.length - 1].merged : rootMerged());

  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      dirStack.pop(); // at the root, `..` stays at the root
      continue;
    }
    const found = await lookup(current(), name);
    if (!found) throw notFound(`${path} not found in image`);
    const { top, st } = found;
    if (st.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) throw invalidArgument(`too many levels of symbolic links resolving ${path}`);
      const target = await readlink(top);
      if (target.startsWith('/')) dirStack = [];
      pending = [...components(target), ...pending];
      continue;
    }
    if (st.isDirectory()) {
      dirStack.push({ name, merged: found.merged });
      continue;
    }
    if (pending.length > 0) throw notFound(`${path} not found in image (${name} is not a directory)`);
    if (!st.isFile()) throw invalidArgument(`${path} is not a regular file`);
    // O_NOFOLLOW + NO_SYMLINKS on a path made only of lstat()ed real dirs: no surprises.
    const fd = openat2(AT_FDCWD, top, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    try {
      return readRegularFd(fd, path, maxBytes);
    } finally {
      closeSync(fd);
    }
  }
  throw invalidArgument(`${path} is a directory`);
}

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/**
 * Looks `name` up in a merged directory. Returns the topmost real path and, when it is a
 * directory, the real directories that merge into it (stopping at a whiteout, a non-dir
 * or an opaque directory).
 */
async function lookup(merged: Merged, name: string): Promise<{ top: string; st: Stats; merged: Merged } | null> {
  let first: { top: string; st: Stats } | null = null;
  const dirs: string[] = [];
  for (const dir of merged) {
    const p = join(dir, name);
    let st: Stats;
    try {
      st = await lstat(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw err;
    }
    if (isWhiteout(st)) break;
    if (!first) {
      first = { top: p, st };
      if (!st.isDirectory()) break;
    } else if (!st.isDirectory()) break;
    dirs.push(p);
    if (isOpaque(p)) break;
  }
  return first ? { ...first, merged: dirs } : null;
}

function isOpaque(dir: string): boolean {
  try {
    return lgetxattr(dir, OPAQUE_XATTR)?.toString() === 'y';
  } catch {
    return false;
  }
}
