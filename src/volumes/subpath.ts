// A volume's subpath (`--mount …,volume-subpath=a/b`), pinned. The path is resolved below
// the volume's data with no symlink allowed anywhere in it (what Docker's safepath does),
// and the directory or file found is bind-mounted, by fd, on a private staging path that
// the runtime then mounts into the container: a container swapping a component for a
// symlink after the check changes nothing. The pin goes once the task exists.
import { closeSync, constants, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument, messageOf } from '../common/errors.ts';
import { fdPath, openRoot } from '../sys/inroot.ts';
import {
  closeFd,
  MNT_DETACH,
  mount,
  MS_BIND,
  MS_PRIVATE,
  O_CLOEXEC,
  O_PATH,
  openat2,
  RESOLVE_BENEATH,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  umount2,
} from '../sys/libc.ts';
import { unmountRecursive } from '../sys/mountinfo.ts';
import { isLocalPath } from './specs.ts';

export interface Pin {
  /** The staging path to hand to the runtime. */
  readonly path: string;
  release(): void;
}

/** Pins `subpath` of the volume data at `dataPath` on `stagingPath` (which must not exist). */
export function pinSubpath(dataPath: string, subpath: string, stagingPath: string): Pin {
  if (!isLocalPath(subpath)) throw invalidArgument('subpath must be a relative path within the volume');
  const root = openRoot(dataPath);
  let fd: number;
  try {
    fd = openat2(root, subpath, O_PATH | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  } catch (err) {
    throw invalidArgument(`cannot access path ${join(dataPath, subpath)}: ${messageOf(err)}`, err);
  } finally {
    closeFd(root);
  }
  try {
    const isDir = statSync(fdPath(fd)).isDirectory();
    if (isDir) mkdirSync(stagingPath, { mode: 0o700 });
    else closeSync(openSync(stagingPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
    try {
      mount(fdPath(fd), stagingPath, null, MS_BIND, null);
      mount('', stagingPath, null, MS_PRIVATE, null);
    } catch (err) {
      rmSync(stagingPath, { recursive: true, force: true });
      throw err;
    }
  } finally {
    closeFd(fd);
  }
  let pinned = true;
  return {
    path: stagingPath,
    release() {
      if (!pinned) return;
      pinned = false;
      try {
        umount2(stagingPath, MNT_DETACH);
      } catch {
        /* already gone */
      }
      rmSync(stagingPath, { recursive: true, force: true });
    },
  };
}

/** Start-up: pins left by a berthd that died between pinning and starting. */
export function sweepPins(dir: string): void {
  unmountRecursive(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
