// Mounted views of a container's filesystem for export and cp (services' ContainerFsPort).
// Each view lives in <exec-root>/views/<random>, is made private so nothing mounted on it
// propagates back, and is torn down whole by release(). Views left by a berthd that died
// mid-export are unmounted and removed by sweepViews() at the next start.
import { mkdirSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  closeFd,
  mount,
  MS_BIND,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  O_CREAT,
  O_EXCL,
  O_PATH,
  O_WRONLY,
} from '../sys/libc.ts';
import { fdPath, mkdirAllInRoot, openInRoot, openNoFollow, openRoot, parentInRoot } from '../sys/inroot.ts';
import { mountAll, overlayMount, readonlyMount, unmount } from '../snapshots/overlay.ts';
import type { Mount } from '../oci/runtime-spec.ts';
import type { Logger } from '../common/logger.ts';
import type { ContainerFsPort, FsView, ViewBind } from '../services/containers/fs-ports.ts';

const SCRATCH = '.scratch';

export function containerFs(execRoot: string, log: Logger): ContainerFsPort & { sweepViews(): void } {
  const viewsDir = join(execRoot, 'views');
  const removeView = (root: string) => {
    unmount(root);
    try {
      rmdirSync(root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A read view's scratch layer (mount points made for its binds) goes with it.
    rmSync(`${root}${SCRATCH}`, { recursive: true, force: true });
  };
  return {
    sweepViews() {
      let names: string[];
      try {
        names = readdirSync(viewsDir);
      } catch {
        return;
      }
      for (const n of names) {
        if (n.endsWith(SCRATCH)) continue; // removed with its view
        try {
          removeView(join(viewsDir, n));
        } catch (err) {
          log.warn('removing a leftover filesystem view failed', { view: n, err });
        }
      }
    },
    taskRootfs: (id) => join(execRoot, 'tasks', id, 'rootfs'),
    mountView(layers, opts = {}) {
      mkdirSync(viewsDir, { recursive: true, mode: 0o700 });
      const root = join(viewsDir, randomBytes(8).toString('hex'));
      mkdirSync(root, { mode: 0o700 });
      let released = false;
      const view: FsView = {
        root,
        release() {
          if (released) return;
          released = true;
          removeView(root);
        },
      };
      try {
        // A read view with binds gets a throw-away upper layer: the mount points its binds
        // need (a volume's destination a never-started container lacks) are made there,
        // never in the container's own layer.
        let rw = opts.rw;
        if (!rw && opts.binds?.length) {
          rw = { upper: join(`${root}${SCRATCH}`, 'upper'), work: join(`${root}${SCRATCH}`, 'work') };
          mkdirSync(rw.upper, { recursive: true, mode: 0o700 });
          mkdirSync(rw.work, { recursive: true, mode: 0o700 });
        }
        const m: Mount = rw ? overlayMount(layers, rw.upper, rw.work) : readonlyMount(layers);
        mountAll([{ ...m, options: [...(m.options ?? []), 'private'] }], root);
        for (const b of opts.binds ?? []) bindInto(root, b, true);
      } catch (err) {
        view.release();
        throw err;
      }
      return view;
    },
  };
}

/**
 * Mounts a bind over its destination inside the view. The destination is resolved with
 * RESOLVE_IN_ROOT (a symlink in the container cannot aim it outside) and the mount lands
 * on the fd of what was found (/proc/self/fd/N), never on a path that could be swapped
 * meanwhile. A missing destination is created in-root when the view is writable (moby
 * makes the mount point in the container's layer too; runc would at first start), else
 * skipped.
 */
function bindInto(root: string, b: ViewBind, create: boolean): void {
  const rootFd = openRoot(root);
  let fd = -1;
  try {
    const src = statSync(b.source, { throwIfNoEntry: false });
    if (!src) return;
    try {
      fd = openInRoot(rootFd, b.destination, O_PATH);
    } catch (err) {
      if (!create || (err as NodeJS.ErrnoException).code !== 'ENOENT') return;
      fd = makeMountPoint(rootFd, b.destination, src.isDirectory());
    }
    const where = readlinkSync(fdPath(fd));
    if (!where.startsWith(root + '/')) return;
    const dst = statSync(fdPath(fd));
    if (src.isDirectory() !== dst.isDirectory()) return;
    // The bind lands on the very directory resolved above (private like the view it is in);
    // read-only is a remount of the new mount, reached by the kernel's own name for it.
    mount(b.source, fdPath(fd), null, MS_BIND | MS_REC, null);
    if (b.readonly) mount('', where, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
  } finally {
    if (fd >= 0) closeFd(fd);
    closeFd(rootFd);
  }
}

/** Creates a mount point (directory, or empty file) inside the root; returns its O_PATH fd. */
function makeMountPoint(rootFd: number, dest: string, dir: boolean): number {
  if (dir) return mkdirAllInRoot(rootFd, dest);
  const ref = parentInRoot(rootFd, dest, { create: true });
  try {
    closeFd(openNoFollow(ref.dirfd, ref.name, O_CREAT | O_EXCL | O_WRONLY));
    return openNoFollow(ref.dirfd, ref.name, O_PATH);
  } finally {
    ref.close();
  }
}
