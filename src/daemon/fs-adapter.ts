// Mounted views of a container's filesystem for export and cp (services' ContainerFsPort).
// Each view lives in <exec-root>/views/<random>, is made private so nothing mounted on it
// propagates back, and is torn down whole by release(). Views left by a berthd that died
// mid-export are unmounted and removed by sweepViews() at the next start.
import { mkdirSync, readdirSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { closeFd, O_PATH } from '../sys/libc.ts';
import { fdPath, openInRoot, openRoot } from '../sys/inroot.ts';
import { mountAll, overlayMount, readonlyMount, unmount } from '../snapshots/overlay.ts';
import type { Mount } from '../oci/runtime-spec.ts';
import type { Logger } from '../common/logger.ts';
import type { ContainerFsPort, FsView, ViewBind } from '../services/containers/fs-ports.ts';

export function containerFs(execRoot: string, log: Logger): ContainerFsPort & { sweepViews(): void } {
  const viewsDir = join(execRoot, 'views');
  const removeView = (root: string) => {
    unmount(root);
    try {
      rmdirSync(root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
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
        const m: Mount = opts.rw ? overlayMount(layers, opts.rw.upper, opts.rw.work) : readonlyMount(layers);
        mountAll([{ ...m, options: [...(m.options ?? []), 'private'] }], root);
        for (const b of opts.binds ?? []) bindInto(root, b);
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
 * RESOLVE_IN_ROOT (a symlink in the container cannot aim it outside); the kernel's own
 * name for what it found is then the mount point. Missing destinations are skipped: runc
 * creates them at the container's first start.
 */
function bindInto(root: string, b: ViewBind): void {
  const rootFd = openRoot(root);
  let fd = -1;
  try {
    try {
      fd = openInRoot(rootFd, b.destination, O_PATH);
    } catch {
      return;
    }
    const where = readlinkSync(fdPath(fd));
    if (!where.startsWith(root + '/')) return;
    const src = statSync(b.source, { throwIfNoEntry: false });
    const dst = statSync(fdPath(fd));
    if (!src || src.isDirectory() !== dst.isDirectory()) return;
    mountAll(
      [
        {
          destination: '/',
          type: 'bind',
          source: b.source,
          options: ['rbind', 'private', ...(b.readonly ? ['ro'] : [])],
        },
      ],
      where,
    );
  } finally {
    if (fd >= 0) closeFd(fd);
    closeFd(rootFd);
  }
}
