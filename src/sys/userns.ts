// A user namespace with given id mappings, held by an fd: what idmapped mounts are made
// with (mount_setattr takes the namespace, not the mappings). Node cannot unshare itself,
// so a child does (`unshare --user`), berthd writes its maps from outside (root in the
// parent namespace may write any mapping) and opens /proc/<pid>/ns/user; the fd keeps
// the namespace alive after the child is gone.
import { closeSync, constants, openSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { MNT_DETACH, MS_BIND, mount, umount2 } from './libc.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../common/errors.ts';
import { killProcessGroup, resolveBinary, spawnChild } from './exec.ts';

/** One range of a mapping: `size` ids from `containerID` inside are `hostID`… outside (the OCI spec's shape). */
export interface IdRange {
  containerID: number;
  hostID: number;
  size: number;
}

/** The lines of a /proc/<pid>/uid_map or gid_map. */
export function idMapText(m: IdRange[]): string {
  return m.map((x) => `${x.containerID} ${x.hostID} ${x.size}\n`).join('');
}

/**
 * Runs `fn` with the pid of a child that `argv` (ending in a command that runs `sleep`)
 * put in new namespaces, with `maps` written for its user namespace when given; the child
 * is gone after.
 */
async function withChild<T>(
  argv: string[],
  maps: { uids: IdRange[]; gids: IdRange[] } | undefined,
  fn: (pid: number) => T,
): Promise<T> {
  const sleeper = resolveBinary('sleep', ['/usr/bin/sleep', '/bin/sleep']);
  const [bin, ...args] = argv;
  const child = spawnChild(bin, [...args, '--', sleeper, '60'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const pid = child.pid;
    if (pid === undefined) throw new BerthError('internal', `cannot start ${bin}`);
    // The child unshares before it execs sleep: wait until it runs sleep (its namespaces
    // are all made by then).
    for (let i = 0; ; i++) {
      let exe: string | undefined;
      try {
        exe = readlinkSync(`/proc/${pid}/exe`);
      } catch {
        /* not there yet, or gone */
      }
      if (exe === sleeper || exe?.endsWith('/sleep')) break;
      if (child.exitCode !== null || child.signalCode !== null || i > 5000)
        throw new BerthError('internal', `${argv.join(' ')} did not create the namespaces`);
      await sleep(1);
    }
    if (maps) {
      writeFileSync(`/proc/${pid}/uid_map`, idMapText(maps.uids));
      writeFileSync(`/proc/${pid}/gid_map`, idMapText(maps.gids));
    }
    return fn(pid);
  } finally {
    killProcessGroup(child);
    await exited;
  }
}

/** Opens a new user namespace with these mappings; the caller owns (and closes) the fd. */
export function userNamespaceFd(uids: IdRange[], gids: IdRange[]): Promise<number> {
  return withChild([unshareBin(), '--user'], { uids, gids }, (pid) => openSync(`/proc/${pid}/ns/user`, 'r'));
}

const unshareBin = () => resolveBinary('unshare', ['/usr/bin/unshare', '/bin/unshare']);

/** Binds the namespace `kind` of `pid` at `path` (a file made here). */
function bindNamespace(pid: number, kind: 'user' | 'net', path: string): void {
  closeSync(openSync(path, constants.O_RDONLY | constants.O_CREAT, 0o600));
  try {
    mount(`/proc/${pid}/ns/${kind}`, path, null, MS_BIND, null);
  } catch (err) {
    unbindNamespace(path);
    throw err;
  }
}

/**
 * A new network namespace owned by the existing user namespace `userns` (a file, e.g.
 * /proc/<pid>/ns/user of a container another one joins), bound at `netPath`.
 */
export async function bindNetnsIn(userns: string, netPath: string): Promise<void> {
  const nsenter = resolveBinary('nsenter', ['/usr/bin/nsenter', '/bin/nsenter']);
  await withChild([nsenter, `--user=${userns}`, '--', unshareBin(), '--net'], undefined, (pid) =>
    bindNamespace(pid, 'net', netPath),
  );
}

/**
 * A new user namespace with these mappings and a network namespace it owns, bound at
 * `userPath` and `netPath` (files made here) so they outlive the process that made them.
 * A container that joins both may then configure, exec into and mount sysfs of its network
 * namespace, which it could not do for one owned by the host's user namespace.
 */
export async function bindUserAndNetns(
  uids: IdRange[],
  gids: IdRange[],
  userPath: string,
  netPath: string,
): Promise<void> {
  await withChild([unshareBin(), '--user', '--net'], { uids, gids }, (pid) => {
    bindNamespace(pid, 'user', userPath);
    try {
      bindNamespace(pid, 'net', netPath);
    } catch (err) {
      unbindNamespace(userPath);
      throw err;
    }
  });
}

/** Undoes a namespace bind made here and removes its file; nothing there is fine. */
export function unbindNamespace(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch {
    /* not mounted */
  }
  try {
    unlinkSync(path);
  } catch {
    /* none */
  }
}
