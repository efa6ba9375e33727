// HEAD/GET /containers/{id}/archive: stat a path in the container, or stream it as tar.
// Paths resolve inside the container's root with openat2(RESOLVE_IN_ROOT): `..` stops at
// its `/`, absolute symlinks restart there, so nothing outside the container is reached
// however its symlinks are arranged or swapped meanwhile (CVE-2018-15664). The final
// component is not followed unless the path ends in `/` or `/.` (Docker's ResolvePath).
// Nothing from the container is ever executed: the tar is written by our own writer.
import { fstatSync, lstatSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import { closeFd } from '../../sys/libc.ts';
import { openDirInRoot, parentInRoot } from '../../sys/inroot.ts';
import { TarWriter } from '../../tar/writer.ts';
import { tarEntry } from '../../snapshots/tree-tar.ts';
import { idShiftOf } from './userns.ts';
import type { OpContext } from '../../common/context.ts';
import type { FsDeps } from './fs-ports.ts';
import { openContainerRoot, type RootHandle } from './fs-common.ts';
import type { ContainerPathStat as PathStat } from '../../api/types/containers.ts';

/** Docker keeps a trailing `/` or `/.` when it cleans a path: they mean "the directory itself". */
export function cleanContainerPath(p: string): { abs: string; followFinal: boolean } {
  if (p === '') throw invalidArgument('Path cannot be empty');
  const abs = posix.normalize('/' + p);
  const followFinal = /\/\.?$/.test(p);
  return { abs, followFinal };
}

const notInContainer = (path: string, c: Container) =>
  notFound(`Could not find the file ${path} in container ${c.record.name}`);

interface Located {
  st: Stats;
  dirfd: number;
  name: string | null;
  close(): void;
}

/** Finds `abs` in the root; `name` null means `dirfd` is the thing itself. */
function locate(root: RootHandle, path: string, c: Container): Located {
  const { abs, followFinal } = cleanContainerPath(path);
  try {
    if (abs === '/' || followFinal) {
      const fd = openDirInRoot(root.fd, abs);
      return { st: fstatSync(fd), dirfd: fd, name: null, close: () => closeFd(fd) };
    }
    const ref = parentInRoot(root.fd, abs);
    try {
      return { st: lstatSync(ref.path), dirfd: ref.dirfd, name: ref.name, close: () => ref.close() };
    } catch (err) {
      ref.close();
      throw err;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notInContainer(path, c);
    throw err;
  }
}

export function statOf(path: string, st: Stats, linkTarget: string): PathStat {
  const { abs } = cleanContainerPath(path);
  return {
    name: abs === '/' ? '/' : posix.basename(abs),
    size: st.size,
    mode: goFileMode(st),
    mtime: st.mtime.toISOString(),
    linkTarget,
  };
}

/** Where a symlink leads, lexically inside the container (Docker's FollowSymlinkInScope). */
function linkTargetOf(root: RootHandle, abs: string, first: string): string {
  let cur = abs;
  let target = first;
  for (let hops = 0; hops < 40; hops++) {
    cur = posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(cur), target));
    let ref;
    try {
      ref = parentInRoot(root.fd, cur);
    } catch {
      return cur;
    }
    try {
      const st = lstatSync(ref.path, { throwIfNoEntry: false });
      if (!st?.isSymbolicLink()) return cur;
      target = readlinkSync(ref.path);
    } finally {
      ref.close();
    }
  }
  return cur;
}

function statAt(root: RootHandle, loc: Located, path: string): PathStat {
  const link =
    loc.name !== null && loc.st.isSymbolicLink()
      ? linkTargetOf(root, cleanContainerPath(path).abs, readlinkSync(`/proc/self/fd/${loc.dirfd}/${loc.name}`))
      : '';
  return statOf(path, loc.st, link);
}

export interface ArchiveOptions {
  /** The path in the container. */
  path: string;
}

export async function archiveStat(
  deps: Pick<FsDeps, 'containers' | 'fs'>,
  _ctx: OpContext,
  idOrName: string,
  opts: ArchiveOptions,
): Promise<PathStat> {
  const { path } = opts;
  const c = deps.containers.store.resolve(idOrName);
  const root = await openContainerRoot(deps, c, { write: false });
  try {
    const loc = locate(root, path, c);
    try {
      return statAt(root, loc, path);
    } finally {
      loc.close();
    }
  } finally {
    root.release();
  }
}

/** The stat (for the header) and the tar; everything held is released when the tar ends or `ctx.signal` aborts. */
export async function archiveGet(
  deps: Pick<FsDeps, 'containers' | 'fs'>,
  ctx: OpContext,
  idOrName: string,
  opts: ArchiveOptions,
): Promise<{ stat: PathStat; stream: Readable }> {
  const { path } = opts;
  const signal = ctx.signal;
  const c = deps.containers.store.resolve(idOrName);
  const root = await openContainerRoot(deps, c, { write: false });
  let loc: Located;
  let stat: PathStat;
  try {
    loc = locate(root, path, c);
    stat = statAt(root, loc, path);
  } catch (err) {
    root.release();
    throw err;
  }
  const { abs } = cleanContainerPath(path);
  const archName = abs === '/' ? '.' : posix.basename(path.replace(/\/+$/, '')) || '.';
  const w = new TarWriter();
  const onAbort = () => w.stream.destroy(new Error('copy aborted: client went away'));
  signal.addEventListener('abort', onAbort, { once: true });
  w.stream.on('error', () => {});
  void (async () => {
    try {
      await tarEntry(w, loc.dirfd, loc.name, archName, {
        signal,
        mapIds: idShiftOf(deps.containers.settings, c.record.hostConfig)?.toContainer,
      });
      await w.finish();
    } catch (err) {
      w.stream.destroy(err as Error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      loc.close();
      root.release();
    }
  })();
  deps.containers.events.publish('container', 'archive-path', c.record.id, { path });
  return { stat, stream: w.stream };
}

// Go's os.FileMode: permission bits plus type bits at the top of the uint32.
const GO = {
  dir: 1 << 31,
  symlink: 1 << 27,
  device: 1 << 26,
  pipe: 1 << 25,
  socket: 1 << 24,
  setuid: 1 << 23,
  setgid: 1 << 22,
  char: 1 << 21,
  sticky: 1 << 20,
};

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= GO.setuid;
  if (st.mode & 0o2000) m |= GO.setgid;
  if (st.mode & 0o1000) m |= GO.sticky;
  if (st.isDirectory()) m |= GO.dir;
  else if (st.isSymbolicLink()) m |= GO.symlink;
  else if (st.isFIFO()) m |= GO.pipe;
  else if (st.isSocket()) m |= GO.socket;
  else if (st.isCharacterDevice()) m |= GO.device | GO.char;
  else if (st.isBlockDevice()) m |= GO.device;
  return m >>> 0;
}
