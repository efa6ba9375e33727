// Mounts as values, and the overlayfs shapes a container or a view needs. Building a Mount
// touches nothing; mountAll/unmount are the only functions here that change the host.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import {
  closeFd,
  type FsParam,
  idmappedClone,
  MNT_DETACH,
  mount,
  mountWithFsConfig,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_NOATIME,
  MS_RELATIME,
  MS_PRIVATE,
  MS_SLAVE,
  MS_SHARED,
  umount2,
} from '../sys/libc.ts';
import { unmountRecursive } from '../sys/mountinfo.ts';
import type { Mount } from '../oci/runtime-spec.ts';

/** The root filesystem's destination: the mount target itself. */
const ROOT = '/';

export interface RwDirs {
  upper: string;
  work: string;
}

/** Creates `<dir>/upper` and `<dir>/work` for a container's read-write layer. */
export async function prepareRw(dir: string): Promise<RwDirs> {
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  await mkdir(upper, { recursive: true, mode: 0o755 });
  await mkdir(work, { recursive: true, mode: 0o700 });
  return { upper, work };
}

/** Read-write overlay over `lowerDirs` (top first). */
export function overlayMount(lowerDirs: string[], upperDir: string, workDir: string): Mount {
  if (lowerDirs.length === 0) {
    // Overlay needs a lower layer; an image with no layers is just its upper dir.
    return { destination: ROOT, type: 'bind', source: upperDir, options: ['rbind', 'rw'] };
  }
  lowerDirs.forEach(checkLayerPath);
  checkLayerPath(upperDir);
  checkLayerPath(workDir);
  return {
    destination: ROOT,
    type: 'overlay',
    source: 'overlay',
    options: ['index=off', `workdir=${workDir}`, `upperdir=${upperDir}`, `lowerdir=${lowerDirs.join(':')}`],
  };
}

/** Read-only view of `lowerDirs` (top first): overlay of ≥2 layers, a ro bind of one. */
export function readonlyMount(lowerDirs: string[]): Mount {
  if (lowerDirs.length === 0) throw invalidArgument('a read-only view needs at least one layer');
  lowerDirs.forEach(checkLayerPath);
  if (lowerDirs.length === 1)
    return { destination: ROOT, type: 'bind', source: lowerDirs[0], options: ['ro', 'rbind'] };
  return {
    destination: ROOT,
    type: 'overlay',
    source: 'overlay',
    options: ['ro', 'index=off', `lowerdir=${lowerDirs.join(':')}`],
  };
}

// ':' and ',' separate overlay options; the kernel's escaping of them is not worth relying on.
function checkLayerPath(p: string): void {
  if (/[:,\n]/.test(p)) throw invalidArgument(`layer path ${JSON.stringify(p)} contains ':' or ','`);
}

const FLAGS: Record<string, [set: boolean, flag: number]> = {
  ro: [true, MS_RDONLY],
  rw: [false, MS_RDONLY],
  nosuid: [true, MS_NOSUID],
  suid: [false, MS_NOSUID],
  nodev: [true, MS_NODEV],
  dev: [false, MS_NODEV],
  noexec: [true, MS_NOEXEC],
  exec: [false, MS_NOEXEC],
  noatime: [true, MS_NOATIME],
  relatime: [true, MS_RELATIME],
  bind: [true, MS_BIND],
  rbind: [true, MS_BIND | MS_REC],
};
const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
};

/** Splits options into mount(2) flags, propagation flags and the fs-specific data string. */
export function parseOptions(options: string[]): { flags: number; propagation: number; data: string[] } {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    if (f) flags = f[0] ? flags | f[1] : flags & ~f[1];
    else if (PROPAGATION[o] !== undefined) propagation |= PROPAGATION[o];
    else data.push(o);
  }
  return { flags, propagation, data };
}

// mount(2) copies at most one page of option data.
const PAGE_SIZE = 4096;

/**
 * Whether one mount(2) call takes `m` (its data is copied up to a page). The shim mounts
 * with mount(2); a longer overlay has to be mounted by berthd (mountAll below).
 */
export function fitsMountCall(m: Mount): boolean {
  return parseOptions(m.options ?? []).data.join(',').length < PAGE_SIZE;
}

export interface MountAllOptions {
  /**
   * A user namespace (fd): overlay lower dirs are mounted as idmapped clones through it, so
   * the layers' files, unchanged on disk, belong to that namespace's ids (userns-remap).
   */
  idmapUsernsFd?: number;
}

/** Mounts each mount at `target` joined with its destination, in order. */
export function mountAll(mounts: Mount[], target: string, opts: MountAllOptions = {}): void {
  const done: string[] = [];
  try {
    for (const m of mounts) {
      // "/" is the target itself (which may be a file: a bind of /etc/hosts).
      const rel = m.destination.replace(/^\/+/, '');
      const where = rel ? join(target, rel) : target;
      mountOne(m, where, opts.idmapUsernsFd);
      done.push(where);
    }
  } catch (err) {
    for (const w of done.reverse()) {
      try {
        umount2(w, MNT_DETACH);
      } catch {
        /* best effort rollback */
      }
    }
    throw err;
  }
}

function mountOne(m: Mount, where: string, usernsFd: number | undefined): void {
  const { flags, propagation, data } = parseOptions(m.options ?? []);
  const source = m.source ?? 'none';
  if (flags & MS_BIND) {
    mount(source, where, null, flags & (MS_BIND | MS_REC), null);
    // A bind ignores most flags on the first call; they apply through a remount.
    const rest = flags & ~(MS_BIND | MS_REC);
    if (rest) mount('', where, null, MS_REMOUNT | MS_BIND | rest, null);
  } else {
    const joined = data.join(',');
    if (m.type === 'overlay' && (joined.length >= PAGE_SIZE || usernsFd !== undefined))
      mountOverlayByConfig(data, where, flags, usernsFd);
    else mount(source, where, m.type ?? null, flags, joined || null);
  }
  if (propagation) mount('', where, null, propagation, null);
}

/**
 * An overlay through the new mount API: one whose option string exceeds a page (≈60+
 * layers with long paths) — "lowerdir+" takes one layer at a time (Linux 6.8+), so there
 * is no length limit — or one whose layers are idmapped (`usernsFd`): each lower dir is a
 * detached idmapped clone passed by fd (Linux 6.13+), so no mount point is left per layer.
 */
function mountOverlayByConfig(data: string[], where: string, flags: number, usernsFd: number | undefined): void {
  const params: [string, FsParam][] = [];
  const clones: number[] = [];
  try {
    for (const o of data) {
      const eq = o.indexOf('=');
      const key = eq < 0 ? o : o.slice(0, eq);
      const value = eq < 0 ? null : o.slice(eq + 1);
      if (key === 'lowerdir' && value !== null)
        for (const l of value.split(':')) {
          if (usernsFd === undefined) params.push(['lowerdir+', l]);
          else {
            clones.push(idmappedClone(l, usernsFd));
            params.push(['lowerdir+', { fd: clones[clones.length - 1] }]);
          }
        }
      else params.push([key, value]);
    }
    if (flags & MS_RDONLY) params.push(['ro', null]);
    mountWithFsConfig('overlay', where, params, mountAttrs(flags));
  } finally {
    // The overlay holds its own references to the clones.
    for (const fd of clones) closeFd(fd);
  }
}

// MOUNT_ATTR_* for fsmount(2): per-mount flags that the superblock "ro" does not cover.
function mountAttrs(flags: number): number {
  let a = 0;
  if (flags & MS_RDONLY) a |= 0x1;
  if (flags & MS_NOSUID) a |= 0x2;
  if (flags & MS_NODEV) a |= 0x4;
  if (flags & MS_NOEXEC) a |= 0x8;
  return a;
}

/** Unmounts target and anything mounted below it. */
export function unmount(target: string): void {
  unmountRecursive(target);
}
