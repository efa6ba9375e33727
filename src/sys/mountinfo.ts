// /proc/self/mountinfo as data, and a recursive unmount that copes with busy mounts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { internal } from '../common/errors.ts';
import { MNT_DETACH, umount2 } from './libc.ts';

export interface MountEntry {
  id: number;
  parentId: number;
  /** "major:minor" */
  device: string;
  /** Path inside the mounted filesystem that is the mount's root. */
  root: string;
  mountPoint: string;
  mountOptions: string[];
  optionalFields: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

// The kernel escapes space, tab, newline and backslash as \ooo octal.
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({
      id: Number(f[0]),
      parentId: Number(f[1]),
      device: f[2],
      root: unescapeOctal(f[3]),
      mountPoint: unescapeOctal(f[4]),
      mountOptions: f[5].split(','),
      optionalFields: f.slice(6, sep),
      fsType: unescapeOctal(f[sep + 1]),
      source: unescapeOctal(f[sep + 2]),
      superOptions: (f[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

export function readMountInfo(): MountEntry[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

export function isMounted(path: string): boolean {
  const p = resolve(path);
  return readMountInfo().some((m) => m.mountPoint === p);
}

/** Mounts at `prefix` or below it, in mountinfo order (parents before children). */
export function mountsUnder(prefix: string): MountEntry[] {
  const p = resolve(prefix);
  const under = p === '/' ? '/' : `${p}/`;
  return readMountInfo().filter((m) => m.mountPoint === p || m.mountPoint.startsWith(under));
}

/**
 * Unmounts everything at and below `path`, deepest first. A busy mount is detached lazily
 * (MNT_DETACH) so cleanup never wedges on a process still holding a file open.
 */
export function unmountRecursive(path: string): void {
  for (let round = 0; round < 8; round++) {
    const mounts = mountsUnder(path);
    if (mounts.length === 0) return;
    // Reverse mountinfo order unmounts children before the mounts they sit on; depth
    // breaks ties for mounts stacked out of order.
    const order = mounts
      .map((m, i) => ({ m, i, depth: m.mountPoint.split('/').length }))
      .sort((a, b) => b.depth - a.depth || b.i - a.i);
    for (const { m } of order) {
      try {
        umount2(m.mountPoint, 0);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ENOENT') continue; // already gone
        if (code === 'EBUSY') umount2(m.mountPoint, MNT_DETACH);
        else throw err;
      }
    }
  }
  if (mountsUnder(path).length > 0) throw internal(`mounts remain under ${path} after unmounting`);
}
