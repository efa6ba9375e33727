// A task's bundle directory (<exec-root>/tasks/<id>) as the runtime adapter leaves it:
// removed without ever walking into a mounted rootfs, and the shareable /dev/shm that
// lives beside the bundles (<exec-root>/shm/<id>).
import { mkdirSync, rmdirSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../common/errors.ts';
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, umount2 } from '../sys/libc.ts';
import { unmountRecursive } from '../sys/mountinfo.ts';

/**
 * Removes a bundle. Its rootfs must not be a mount any more: rmdir refuses a mount point
 * (EBUSY), so a recursive delete never walks into a container's live filesystem.
 */
export async function removeBundle(bundle: string): Promise<void> {
  unmountShm(bundle);
  await rmdir(join(bundle, 'rootfs')).catch((err) => {
    if (errnoCode(err) === 'EBUSY') {
      unmountRecursive(join(bundle, 'rootfs'));
      return rmdir(join(bundle, 'rootfs'));
    }
    if (errnoCode(err) !== 'ENOENT') throw err;
    return undefined;
  });
  await rm(bundle, { recursive: true, force: true });
}

/**
 * A shareable /dev/shm (`--ipc shareable`) is a tmpfs on the host, beside the bundles
 * (`<exec-root>/shm/<id>`), so joiners can bind the same one: a mount that lives only in
 * another mount namespace cannot be bound.
 */
export const shmDir = (bundle: string) => join(dirname(dirname(bundle)), 'shm', basename(bundle));

export function mountShm(bundle: string, size: number): void {
  const dir = shmDir(bundle);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${size}`);
}

function unmountShm(bundle: string): void {
  const dir = shmDir(bundle);
  try {
    umount2(dir, MNT_DETACH);
  } catch {
    /* not mounted */
  }
  try {
    rmdirSync(dir);
  } catch {
    /* none */
  }
}
