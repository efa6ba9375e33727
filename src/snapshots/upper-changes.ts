// What a container's upper dir changed relative to its image layers (`docker diff`), with
// overlayfs's encoding read back: a 0:0 char device is a deletion, a directory with
// trusted.overlay.opaque=y hides everything below it. Kinds and the ordering follow
// moby's OverlayChanges: a lexical walk; a name present in a lower layer is "modified";
// an opaque directory that existed below is "deleted" (its new children "added"); the
// parent of an added or deleted name is "modified". Only lstat is used: no symlink in a
// layer or the upper dir is ever followed.
import { lstatSync, readdirSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../sys/libc.ts';
import { OPAQUE_XATTR } from './apply.ts';

export const CHANGE_MODIFY = 0;
export const CHANGE_ADD = 1;
export const CHANGE_DELETE = 2;
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

export const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

export function isOpaque(path: string): boolean {
  try {
    return lgetxattr(path, OPAQUE_XATTR)?.toString() === 'y';
  } catch {
    return false;
  }
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null; // ENOENT, or ENOTDIR under a whiteout/file: absent either way
  }
}

/**
 * The lower layers' view of `rel` (top layer first): the stat of the name in the layer
 * that provides it, or null when no layer does or a whiteout/opaque dir hides it.
 */
export function lowerLookup(lowers: readonly string[], rel: string): Stats | null {
  const parts = rel.split('/').filter(Boolean);
  for (const layer of lowers) {
    const st = lstatOrNull(join(layer, ...parts));
    if (st) return isWhiteout(st) ? null : st;
    // Not here: does something in this layer hide the layers below?
    for (let i = parts.length - 1; i >= 1; i--) {
      const anc = join(layer, ...parts.slice(0, i));
      const a = lstatOrNull(anc);
      if (!a) continue;
      if (!a.isDirectory() || isOpaque(anc)) return null;
      break; // a plain directory merges: keep looking below
    }
  }
  return null;
}

/**
 * Mount points runc creates in the upper dir when the image lacks them. Docker keeps them
 * in a hidden init layer; here they are left out of diff and commit while they are still
 * the empty stubs runc made and no lower layer has them.
 */
const MOUNT_STUBS = new Set([
  '/proc',
  '/sys',
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/dev/console',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/etc/mtab',
  '/.dockerenv',
  '/sbin/docker-init',
]);

export interface ChangesOptions {
  /** Extra container paths that are mount points (bind destinations). */
  mountPoints?: ReadonlySet<string>;
  /** Yields to the event loop every so many entries (default 512). */
  yieldEvery?: number;
  /** Stops the walk (it throws the reason) at the next yield. */
  signal?: AbortSignal;
}

export async function upperChanges(
  upper: string,
  lowers: readonly string[],
  opts: ChangesOptions = {},
): Promise<Change[]> {
  const out: Change[] = [];
  const yieldEvery = opts.yieldEvery ?? 512;
  let n = 0;
  // Returns whether anything below `rel` was reported (a changed child makes its parent modified).
  const walk = async (rel: string): Promise<boolean> => {
    let names: string[];
    try {
      names = readdirSync(join(upper, rel));
    } catch {
      return false;
    }
    names.sort();
    let reported = false;
    for (const name of names) {
      if (++n % yieldEvery === 0) {
        await new Promise((r) => setImmediate(r));
        opts.signal?.throwIfAborted();
      }
      const path = `${rel}/${name}`;
      const host = join(upper, rel, name);
      const st = lstatOrNull(host);
      if (!st) continue;
      if (isWhiteout(st)) {
        out.push({ Path: path, Kind: CHANGE_DELETE });
        reported = true;
        continue;
      }
      if (isMountStubAt(path, st, host, lowers, opts.mountPoints)) continue;
      const below = lowerLookup(lowers, path);
      if (st.isDirectory()) {
        const idx = out.length;
        const opaque = below !== null && isOpaque(host);
        const childReported = await walk(path);
        let kind: Change['Kind'] | undefined;
        if (opaque) kind = CHANGE_DELETE;
        else if (below === null) kind = CHANGE_ADD;
        else if (childReported || !sameDirMeta(st, below)) kind = CHANGE_MODIFY;
        if (kind !== undefined) {
          out.splice(idx, 0, { Path: path, Kind: kind });
          reported = true;
        }
        continue;
      }
      out.push({ Path: path, Kind: below === null ? CHANGE_ADD : CHANGE_MODIFY });
      reported = true;
    }
    return reported;
  };
  await walk('');
  return out;
}

/** A mount-point stub at `path` (host path `host`) that diff and commit leave out. */
export function isMountStubAt(
  path: string,
  st: Stats,
  host: string,
  lowers: readonly string[],
  extra?: ReadonlySet<string>,
): boolean {
  if (!MOUNT_STUBS.has(path) && !extra?.has(path)) return false;
  if (st.isFile()) return st.size === 0 && lowerLookup(lowers, path) === null;
  if (!st.isDirectory()) return false;
  try {
    if (readdirSync(host).length > 0) return false;
  } catch {
    return false;
  }
  return lowerLookup(lowers, path) === null;
}

// Copy-up keeps a directory's metadata; a difference means the directory itself changed.
// Its mtime is not compared: creating a child bumps it, and children are reported anyway.
function sameDirMeta(a: Stats, b: Stats): boolean {
  return b.isDirectory() && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}
