// Writes a directory tree (or one entry of it) as tar through our TarWriter, for commit,
// export and `cp` out of a container. The tree may belong to a running container, so it
// is walked through directory fds we hold: every name is lstat'ed and opened relative to
// its parent's fd without following it (O_NOFOLLOW, RESOLVE_BENEATH|NO_SYMLINKS), so a
// symlink swapped in mid-walk is archived as a symlink, never followed out of the tree.
// In upper-dir mode (commit) overlayfs's encoding is turned back into OCI form: a 0:0 char
// device becomes `.wh.<name>`, an opaque directory gets a `.wh..wh..opq` entry.
import { closeSync, fstatSync, lstatSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { atPath, fdPath, openNoFollow } from '../sys/inroot.ts';
import { llistxattr, lgetxattr, O_DIRECTORY, O_RDONLY } from '../sys/libc.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './apply.ts';
import type { TarWriteEntry, TarWriter } from '../tar/writer.ts';
import { isMountStubAt, isOpaque, isWhiteout } from './upper-changes.ts';

export interface TreeTarOptions {
  /** Upper-dir mode: whiteouts and opaque dirs in OCI form, runc's mount stubs left out. */
  upper?: { lowers: readonly string[]; mountPoints?: ReadonlySet<string> };
  /** Checked between entries: an aborted export stops walking (and closes its fds). */
  signal?: AbortSignal;
  /** The owner recorded for a file's ids: a remapped container's own ids for the host's. */
  mapIds?: (uid: number, gid: number) => [number, number];
}

interface Walk {
  w: TarWriter;
  opts: TreeTarOptions;
  links: Map<string, string>;
  count: number;
}

/**
 * Archives the name `name` inside the directory `dirfd` as `archName` (a directory with
 * everything below it). `name` null archives the directory `dirfd` itself; then an empty
 * `archName` leaves out the top entry and puts its children at the archive's top level.
 */
export async function tarEntry(
  w: TarWriter,
  dirfd: number,
  name: string | null,
  archName: string,
  opts: TreeTarOptions = {},
): Promise<void> {
  const walk: Walk = { w, opts, links: new Map(), count: 0 };
  if (name !== null) return emit(walk, dirfd, name, archName, '/' + archName);
  if (archName !== '') await w.add({ ...meta(fstatSync(dirfd), opts.mapIds), name: `${archName}/`, type: 'dir' });
  await children(walk, dirfd, archName, '');
}

async function emit(walk: Walk, dirfd: number, name: string, archName: string, ctrPath: string): Promise<void> {
  if (++walk.count % 256 === 0) await new Promise((r) => setImmediate(r));
  walk.opts.signal?.throwIfAborted();
  const path = atPath(dirfd, name);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // removed while we walked
    throw err;
  }
  const up = walk.opts.upper;
  if (up) {
    if (isWhiteout(st)) {
      await walk.w.add(
        { name: joinArch(parentOf(archName), WHITEOUT_PREFIX + name), type: 'file', size: 0, mode: 0o644 },
        Buffer.alloc(0),
      );
      return;
    }
    if (isMountStubAt(ctrPath, st, path, up.lowers, up.mountPoints)) return;
  }
  const base: TarWriteEntry = {
    ...meta(st, walk.opts.mapIds),
    name: archName,
    type: 'file',
    xattrs: xattrsOf(path, Boolean(up)),
  };
  if (st.isDirectory()) {
    const fd = openNoFollow(dirfd, name, O_RDONLY | O_DIRECTORY);
    try {
      await walk.w.add({ ...base, name: `${archName}/`, type: 'dir' });
      if (up && isOpaque(path))
        await walk.w.add({ name: `${archName}/${OPAQUE_MARKER}`, type: 'file', size: 0 }, Buffer.alloc(0));
      await children(walk, fd, archName, ctrPath === '/' ? '' : ctrPath);
    } finally {
      closeSync(fd);
    }
    return;
  }
  if (st.isSymbolicLink()) return walk.w.add({ ...base, type: 'symlink', linkname: readlinkSync(path) });
  if (st.isFIFO()) return walk.w.add({ ...base, type: 'fifo' });
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    return walk.w.add({
      ...base,
      type: st.isCharacterDevice() ? 'char' : 'block',
      devmajor: major(st.rdev),
      devminor: minor(st.rdev),
    });
  }
  if (!st.isFile()) return; // sockets are not archived (as Docker)
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = walk.links.get(key);
    if (first !== undefined) return walk.w.add({ ...base, type: 'hardlink', linkname: first });
    walk.links.set(key, archName);
  }
  const fd = openNoFollow(dirfd, name, O_RDONLY);
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile() || fst.ino !== st.ino) return; // swapped between lstat and open
    await walk.w.add({ ...base, size: st.size }, fileBody(fd, st.size));
  } finally {
    closeSync(fd);
  }
}

async function children(walk: Walk, dirfd: number, archName: string, ctrDir: string): Promise<void> {
  const names = readdirSync(fdPath(dirfd)).sort();
  for (const n of names) await emit(walk, dirfd, n, joinArch(archName, n), `${ctrDir}/${n}`);
}

/** Exactly `size` bytes of the file: cut when it grew, zero-padded when it shrank meanwhile. */
function fileBody(fd: number, size: number): Readable {
  let pos = 0;
  return new Readable({
    highWaterMark: 1 << 16,
    read() {
      if (pos >= size) return void this.push(null);
      const buf = Buffer.allocUnsafe(Math.min(1 << 16, size - pos));
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, pos);
      } catch (err) {
        return void this.destroy(err as Error);
      }
      if (n === 0) {
        buf.fill(0);
        n = buf.length;
      }
      pos += n;
      this.push(buf.subarray(0, n));
    },
  });
}

const joinArch = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
const parentOf = (arch: string) => (arch.includes('/') ? arch.slice(0, arch.lastIndexOf('/')) : '');
const major = (dev: number) => Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
const minor = (dev: number) => Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);

function meta(st: Stats, mapIds?: TreeTarOptions['mapIds']): Omit<TarWriteEntry, 'name' | 'type'> {
  const [uid, gid] = mapIds ? mapIds(st.uid, st.gid) : [st.uid, st.gid];
  return { mode: st.mode & 0o7777, uid, gid, mtime: Math.floor(st.mtimeMs / 1000) };
}

/** xattrs worth keeping (overlay's own are dropped; security.capability etc. kept). */
function xattrsOf(path: string, upper: boolean): Map<string, Buffer> | undefined {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch {
    return undefined;
  }
  const out = new Map<string, Buffer>();
  for (const n of names) {
    if (n.startsWith('trusted.overlay.') || n.startsWith('user.overlay.')) continue;
    if (!upper && n.startsWith('security.selinux')) continue;
    const v = lgetxattr(path, n);
    if (v) out.set(n, v);
  }
  return out.size ? out : undefined;
}
