// A volume's subpath (`--mount …,volume-subpath=a/b`) or an image mount's, pinned. The path is resolved below
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

/**
 * An O_PATH fd of `subpath` below `root`, reached with no symlink anywhere on the way.
 * `shownAs` names the root in errors (a volume's data path, or an image's name).
 */
function openSubpath(root: string, subpath: string, shownAs: string): number {
  if (!isLocalPath(subpath)) throw invalidArgument('subpath must be a relative path within the volume');
  const rootFd = openRoot(root);
  try {
    return openat2(rootFd, subpath, O_PATH | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  } catch (err) {
    throw invalidArgument(`cannot access path ${join(shownAs, subpath)}: ${messageOf(err)}`, err);
  } finally {
    closeFd(rootFd);
  }
}

/** Checks that `subpath` exists below `root` and is reached without symlinks. */
export function checkSubpath(root: string, subpath: string, shownAs: string): void {
  closeFd(openSubpath(root, subpath, shownAs));
}

/**
 * Pins `subpath` of the volume data (or image view) at `dataPath` on `stagingPath`
 * (which must not exist).
 */
export function pinSubpath(dataPath: string, subpath: string, stagingPath: string, shownAs = dataPath): Pin {
  const fd = openSubpath(dataPath, subpath, shownAs);
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
