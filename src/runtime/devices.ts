// Host device nodes for `--device` and blkio limits, found as dockerd finds them: a
// symlink is resolved first (so a link to /etc/passwd is "not a device node", never a
// file handed to the container), a directory contributes every node under it.
import { lstatSync, readdirSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import type { LinuxDevice } from '../oci/runtime-spec.ts';

/** A host device node (character or block), as the spec's device entries describe one. */
export type HostDevice = LinuxDevice & { type: 'c' | 'b' };

/** Linux's encoding of dev_t (glibc's gnu_dev_major/minor). */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor & 0xffffffffn) };
}

function nodeOf(path: string, st: BigIntStats): HostDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return {
    path,
    type,
    ...splitDev(st.rdev),
    fileMode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

const gatherError = (path: string, why: string) =>
  invalidArgument(`error gathering device information while adding custom device ${JSON.stringify(path)}: ${why}`);

/** The node(s) a `--device` path names; invalid-argument with Docker's words otherwise. */
export function hostDevices(path: string): HostDevice[] {
  let resolved = path;
  let st: BigIntStats;
  try {
    if (lstatSync(path).isSymbolicLink()) resolved = realpathSync(path);
    st = lstatSync(resolved, { bigint: true });
  } catch (err) {
    throw gatherError(
      path,
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(err),
    );
  }
  const node = nodeOf(path, st);
  if (node) return [node];
  if (st.isDirectory()) {
    const out: HostDevice[] = [];
    const walk = (dir: string, depth: number) => {
      if (depth > 8) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        // Docker skips these: pseudo-terminals belong to the host's sessions.
        if (e.isDirectory()) {
          if (e.name !== 'pts' && e.name !== 'shm' && e.name !== 'fd' && e.name !== 'mqueue') walk(p, depth + 1);
          continue;
        }
        // Symlinks point at nodes listed anyway; the console is the container's own.
        if (e.isSymbolicLink() || (depth === 0 && e.name === 'console')) continue;
        const n = nodeOf(p, lstatSync(p, { bigint: true }));
        if (n) out.push(n);
      }
    };
    walk(resolved, 0);
    return out;
  }
  throw gatherError(path, 'not a device node');
}

/** The block device at `path` (blkio limits name devices by path); invalid-argument otherwise. */
export function blockDevice(path: string): { major: number; minor: number } {
  let st: BigIntStats;
  try {
    st = statSync(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidArgument(`stat ${path}: ${code === 'ENOENT' ? 'no such file or directory' : String(err)}`);
  }
  if (!st.isBlockDevice()) throw invalidArgument(`${path}: not a block device`);
  return splitDev(st.rdev);
}

/** Whether /proc/sys has this sysctl ("net.ipv4.ip_forward" → /proc/sys/net/ipv4/ip_forward). */
export function sysctlExists(name: string): boolean {
  if (!/^[a-zA-Z0-9_.-]+$/.test(name) || name.includes('..')) return false;
  try {
    statSync(join('/proc/sys', ...name.split('.')));
    return true;
  } catch {
    return false;
  }
}
