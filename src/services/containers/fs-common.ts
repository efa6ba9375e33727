// Shared by diff, commit, export and cp: a container's layer dirs, its mount points, and
// the root directory it sees (the live one while it runs, a private mount otherwise).
import { join } from 'node:path';
import { conflict } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import { closeFd } from '../../sys/libc.ts';
import { openRoot } from '../../sys/inroot.ts';
import type { ContainerDeps } from './deps.ts';
import { lowersOf, upperOf } from './rootfs.ts';
import { hostnamePath, hostsPath, resolvConfPath } from './files.ts';
import type { FsDeps, ViewBind } from './fs-ports.ts';
import { mountDestinations } from './mount-points.ts';
import { byDepth } from '../../volumes/specs.ts';

/** The container's /etc files, unless something of its own is mounted there. */
function hostFileBinds(deps: Pick<ContainerDeps, 'store'>, c: Container, taken: ViewBind[]): ViewBind[] {
  const dir = deps.store.dir(c.record.id);
  return [
    { source: hostnamePath(dir), destination: '/etc/hostname', readonly: false },
    { source: hostsPath(dir), destination: '/etc/hosts', readonly: false },
    { source: resolvConfPath(dir), destination: '/etc/resolv.conf', readonly: false },
  ].filter((b) => !taken.some((t) => t.destination === b.destination));
}

/** Every path something is mounted on in the container (left out of diff and commit). */
export const mountPointsOf = (c: Container) => mountDestinations(c.record);

/** The pid of the container's init while its task runs (or is paused), else undefined. */
export function livePid(deps: Pick<ContainerDeps, 'live'>, c: Container): number | undefined {
  const st = c.runtime.state.Status;
  const task = deps.live.peek(c.record.id)?.task;
  if ((st === 'running' || st === 'paused') && task && c.runtime.state.Pid > 0) return c.runtime.state.Pid;
  return undefined;
}

export interface RootHandle {
  /** O_PATH fd of the container's `/` (close through release). */
  readonly fd: number;
  release(): void;
}

/**
 * The container's root directory as it sees it. Running: /proc/<pid>/root, which is its
 * own mount namespace, so volumes, binds and /etc/hosts resolve exactly as inside it.
 * Not running: a private overlay of its layers with its volumes and binds mounted over it
 * — writable when `write` (the caller holds the container's lock so no start races it).
 */
export async function openContainerRoot(
  deps: Pick<FsDeps, 'containers' | 'fs'>,
  c: Container,
  opts: { write: boolean },
): Promise<RootHandle> {
  const cd = deps.containers;
  const pid = livePid(cd, c);
  if (pid !== undefined) {
    const fd = openRoot(`/proc/${pid}/root`);
    // The pid could have died and been reused between the read and the open.
    if (livePid(cd, c) !== pid) {
      closeFd(fd);
      throw conflict(`container ${c.record.name} changed state during the copy; try again`);
    }
    return { fd, release: () => closeFd(fd) };
  }
  const st = c.runtime.state.Status;
  if (st === 'removing' || st === 'dead') throw conflict(`container ${c.record.name} is marked for removal`);
  const lowers = lowersOf(cd, c);
  const upper = upperOf(cd, c);
  const vols = await cd.volumes.forView(c);
  let view;
  try {
    const binds = byDepth([...vols.binds, ...hostFileBinds(cd, c, vols.binds)]);
    view = opts.write
      ? deps.fs.mountView(lowers, { rw: { upper, work: join(cd.store.dir(c.record.id), 'work') }, binds })
      : deps.fs.mountView([upper, ...lowers], { binds });
  } catch (err) {
    vols.release();
    throw err;
  }
  let fd: number;
  try {
    fd = openRoot(view.root);
  } catch (err) {
    view.release();
    vols.release();
    throw err;
  }
  let done = false;
  return {
    fd,
    release() {
      if (done) return;
      done = true;
      closeFd(fd);
      view.release();
      vols.release();
    },
  };
}
