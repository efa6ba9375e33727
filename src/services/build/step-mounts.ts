// The engine side of RUN --mount (the executor's prepareMounts port). Per step: a private
// scratch directory <data-root>/build/tmp/run-<hex>/ holding context extractions, the
// throw-away upper dirs of rw binds, and tmpfs mounts (secrets are written only there, so a
// value never touches the disk). Cache mounts are plain directories that outlive builds and
// restarts: <data-root>/build/cache-mounts/<sha256 of id>. Everything reaches the container
// as a bind in its HostConfig, so commit leaves the mount points out as it does for any bind.
import {
  existsSync,
  chownSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { internal, invalidArgument, isNotExist } from '../../common/errors.ts';
import { KeyedMutex } from '../../common/mutex.ts';
import { hexOf, sha256 } from '../../common/digest.ts';
import type { StepMount, StepMounts } from '../../builder/exec/ports.ts';
import { applyLayer } from '../../snapshots/apply.ts';
import { mountAll } from '../../snapshots/overlay.ts';
import { unmountRecursive } from '../../sys/mountinfo.ts';
import { closeFd, O_PATH } from '../../sys/libc.ts';
import { fdPath, openInRoot, openRoot } from '../../sys/inroot.ts';
import type { FsView } from '../containers/fs-ports.ts';
import type { BuildDeps } from './deps.ts';

const SECRETS_TMPFS_SIZE = 16 << 20;

/** Cache ids in use in this process, and the `sharing=locked` queues. */
const inUse = new Map<string, number>();
const locked = new KeyedMutex();

/** The real path of `rel` inside `root` (symlinks resolved within it), for a bind source. */
function resolveInside(root: string, rel: string, what: string): string {
  const rootFd = openRoot(root);
  let fd = -1;
  try {
    try {
      fd = openInRoot(rootFd, rel, O_PATH);
    } catch (err) {
      if (isNotExist(err)) throw invalidArgument(`${what}: ${rel} does not exist`);
      throw err;
    }
    const real = readlinkSync(fdPath(fd));
    if (real !== root && !real.startsWith(root + '/')) throw invalidArgument(`${what}: ${rel} leaves its root`);
    return real;
  } finally {
    if (fd >= 0) closeFd(fd);
    closeFd(rootFd);
  }
}

function bind(source: string, target: string, readonly: boolean): string {
  if (source.includes(':')) throw internal(`mount source ${source} contains ':'`);
  return `${source}:${target}${readonly ? ':ro' : ''}`;
}

function newDir(path: string, mode: number, uid: number, gid: number): void {
  mkdirSync(path, { mode });
  chmodSync(path, mode); // past the umask
  if (uid || gid) chownSync(path, uid, gid);
}

/** The persistent directory of a cache id, made (with its mode and owner) on first use. */
function cacheDir(root: string, m: Extract<StepMount, { type: 'cache' }>): string {
  const dir = join(root, hexOf(sha256(m.id)));
  if (existsSync(dir)) return dir;
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const tmp = join(root, `.tmp-${randomBytes(6).toString('hex')}`);
  newDir(tmp, m.mode, m.uid, m.gid);
  try {
    renameSync(tmp, dir); // another build made it meanwhile: theirs stands
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

export async function prepareStepMounts(
  deps: BuildDeps,
  lowers: (image: string) => string[],
  mounts: StepMount[],
  signal: AbortSignal,
): Promise<StepMounts> {
  const scratch = join(deps.dir, 'tmp', `run-${randomBytes(8).toString('hex')}`);
  mkdirSync(join(deps.dir, 'tmp'), { recursive: true, mode: 0o700 });
  mkdirSync(scratch, { mode: 0o700 });
  const views: FsView[] = [];
  const undo: (() => void)[] = [];
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (const u of undo.reverse()) u();
    for (const v of views) v.release();
    unmountRecursive(scratch);
    rmSync(scratch, { recursive: true, force: true });
  };
  const binds: string[] = [];
  let secrets: string | undefined;
  try {
    for (const [i, m] of mounts.entries()) {
      signal.throwIfAborted();
      switch (m.type) {
        case 'cache': {
          if (m.sharing === 'locked') undo.push(await locked.acquire(m.id, signal));
          const busy = (inUse.get(m.id) ?? 0) > 0;
          if (m.sharing === 'private' && busy) {
            const dir = join(scratch, `cache-${i}`);
            newDir(dir, m.mode, m.uid, m.gid);
            binds.push(bind(dir, m.target, m.readonly));
            break;
          }
          binds.push(bind(cacheDir(join(deps.dir, 'cache-mounts'), m), m.target, m.readonly));
          inUse.set(m.id, (inUse.get(m.id) ?? 0) + 1);
          undo.push(() => {
            const n = (inUse.get(m.id) ?? 1) - 1;
            if (n > 0) inUse.set(m.id, n);
            else inUse.delete(m.id);
          });
          break;
        }
        case 'bind': {
          let root: string;
          if ('image' in m) {
            const dir = join(scratch, `bind-${i}`);
            const rw = m.readonly ? undefined : { upper: join(dir, 'upper'), work: join(dir, 'work') };
            if (rw) {
              mkdirSync(rw.upper, { recursive: true });
              mkdirSync(rw.work, { recursive: true });
            }
            const view = deps.fs.fs.mountView(lowers(m.image), rw ? { rw } : {});
            views.push(view);
            root = view.root;
          } else {
            root = join(scratch, `bind-${i}`);
            mkdirSync(root, { mode: 0o755 });
            await applyLayer(root, await m.tar(), { plain: true, signal });
          }
          binds.push(bind(resolveInside(root, m.path, `bind mount source`), m.target, m.readonly));
          break;
        }
        case 'secret': {
          if (!secrets) {
            secrets = join(scratch, 'secrets');
            mkdirSync(secrets, { mode: 0o700 });
            mountAll(
              [
                {
                  destination: '/',
                  type: 'tmpfs',
                  source: 'tmpfs',
                  options: ['nosuid', 'nodev', 'noexec', 'mode=0700', `size=${SECRETS_TMPFS_SIZE}`, 'private'],
                },
              ],
              secrets,
            );
          }
          const file = join(secrets, String(i));
          writeFileSync(file, m.data, { mode: 0o600 });
          chownSync(file, m.uid, m.gid);
          chmodSync(file, m.mode);
          binds.push(bind(file, m.target, true));
          break;
        }
        case 'file': {
          const file = join(scratch, `file-${i}`);
          writeFileSync(file, m.data, { mode: 0o600 });
          chmodSync(file, m.mode);
          binds.push(bind(file, m.target, true));
          break;
        }
        case 'tmpfs': {
          const dir = join(scratch, `tmpfs-${i}`);
          mkdirSync(dir, { mode: 0o700 });
          mountAll(
            [
              {
                destination: '/',
                type: 'tmpfs',
                source: 'tmpfs',
                options: ['nosuid', 'nodev', 'mode=1777', ...(m.size ? [`size=${m.size}`] : []), 'private'],
              },
            ],
            dir,
          );
          binds.push(bind(dir, m.target, false));
          break;
        }
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { binds, release };
}

/** Start-up: unmount what a killed berthd left in step scratch dirs; drop half-made cache dirs. */
export function sweepStepMounts(buildDir: string): void {
  unmountRecursive(join(buildDir, 'tmp'));
  const root = join(buildDir, 'cache-mounts');
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    /* none yet */
  }
  for (const n of names) if (n.startsWith('.tmp-')) rmSync(join(root, n), { recursive: true, force: true });
}

export interface CacheMountUsage {
  id: string;
  size: number;
  inUse: boolean;
  createdAt: string;
  lastUsedAt: string;
}

/** Bytes under a directory (lstat, no symlink following, hard links counted once). */
function treeSize(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      const k = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        if (seen.has(k)) continue;
        seen.add(k);
      }
      total += st.blocks * 512;
    }
  };
  walk(dir);
  return total;
}

/** The cache mounts kept under <build>/cache-mounts, for system df and builder prune. */
export function cacheMountUsage(buildDir: string): CacheMountUsage[] {
  const root = join(buildDir, 'cache-mounts');
  const busy = new Set([...inUse.keys()].map((id) => hexOf(sha256(id))));
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^[0-9a-f]{64}$/.test(n))
    .map((n) => {
      const st = statSync(join(root, n));
      return {
        id: n,
        size: treeSize(join(root, n)),
        inUse: busy.has(n),
        createdAt: st.birthtime.toISOString(),
        lastUsedAt: st.mtime.toISOString(),
      };
    });
}

/** Removes cache mounts no build is using; returns what went. */
export function removeIdleCacheMounts(buildDir: string): CacheMountUsage[] {
  const gone = cacheMountUsage(buildDir).filter((u) => !u.inUse);
  for (const u of gone) rmSync(join(buildDir, 'cache-mounts', u.id), { recursive: true, force: true });
  return gone;
}
