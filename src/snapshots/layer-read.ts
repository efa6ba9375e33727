// Reads one file (an image's /etc/passwd, /etc/group…) from a stack of layer diffs without
// mounting them, with overlayfs's lookup rules: the topmost layer that has a name wins; a
// whiteout (0:0 char device) hides it; only directories merge with the layers below, and
// an opaque directory stops the merge. Symlinks are resolved in the *merged* view (so a
// link in one layer may point at a file in another), with absolute targets and `..`
// confined to the image root and a bounded number of hops. The real filesystem is only
// ever walked through directories we have lstat()ed, so no host symlink is followed.
import { closeSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
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
  const found = await resolveInLayers(layers, path);
  if (!found) throw notFound(`${path} not found in image`);
  if (found.st.isDirectory()) throw invalidArgument(`${path} is a directory`);
  if (!found.st.isFile()) throw invalidArgument(`${path} is not a regular file`);
  // O_NOFOLLOW + NO_SYMLINKS on a path made only of lstat()ed real dirs: no surprises.
  const fd = openat2(
    AT_FDCWD,
    found.top,
    O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
    RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  );
  try {
    return readRegularFd(fd, path, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** What an image (layers, top first) has at `path`, symlinks resolved in the merged view. */
export type LayerEntry = { kind: 'missing' } | { kind: 'dir'; empty: boolean } | { kind: 'file' | 'other' };

export async function statInLayers(lowerDirs: string[], path: string, upperDir?: string): Promise<LayerEntry> {
  const layers = upperDir ? [upperDir, ...lowerDirs] : [...lowerDirs];
  const found = await resolveInLayers(layers, path);
  if (!found) return { kind: 'missing' };
  if (found.st.isDirectory()) {
    // Entries hidden by whiteouts above them are not counted out: "not empty" may then be
    // wrong, which only costs a look at a directory that turns out empty.
    for (const dir of found.merged) {
      const names = await readdir(dir);
      for (const n of names) {
        const st = await lstat(join(dir, n)).catch(() => undefined);
        if (st && !isWhiteout(st)) return { kind: 'dir', empty: false };
      }
    }
    return { kind: 'dir', empty: true };
  }
  return { kind: found.st.isFile() ? 'file' : 'other' };
}

/** The topmost real path of `path` in the merged view, following symlinks inside it. */
async function resolveInLayers(
  layers: string[],
  path: string,
): Promise<{ top: string; st: Stats; merged: Merged } | undefined> {
  type Found = { top: string; st: Stats; merged: Merged };
  let pending = components(path);
  if (pending.length === 0) return undefined;
  let dirStack: Found[] = [];
  let hops = 0;
  const current = () => (dirStack.length ? dirStack[dirStack.length - 1].merged : layers);
  let last: Found | undefined;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      dirStack.pop(); // at the root, `..` stays at the root
      last = dirStack[dirStack.length - 1];
      continue;
    }
    const found = await lookup(current(), name);
    if (!found) return undefined;
    if (found.st.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) throw invalidArgument(`too many levels of symbolic links resolving ${path}`);
      const target = await readlink(found.top);
      if (target.startsWith('/')) dirStack = [];
      pending = [...components(target), ...pending];
      last = dirStack[dirStack.length - 1];
      continue;
    }
    last = found;
    if (found.st.isDirectory()) {
      dirStack.push(found);
      continue;
    }
    if (pending.length > 0) return undefined; // a file where a directory should be
  }
  return last; // undefined: the path leads back to the root
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
