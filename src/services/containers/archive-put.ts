// PUT /containers/{id}/archive: extract a tar into the directory at `path` inside the
// container. The directory is resolved with RESOLVE_IN_ROOT against the container's own
// root (see fs-common), then the archive is applied by snapshots/apply in plain mode,
// whose containment keeps every entry below that directory: names that climb out are
// rejected, symlinked parents are confined, a symlink at a final name is replaced rather
// than written through. A stopped container is written through a private overlay of its
// layers while its lock is held, so it cannot start underneath the copy.
import { PassThrough, type Readable } from 'node:stream';
import { fstatSync } from 'node:fs';
import { BerthError, conflict, invalidArgument, notFound } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import { closeFd, O_RDONLY } from '../../sys/libc.ts';
import { fdPath, openDirInRoot, openInRoot, readRegularFd } from '../../sys/inroot.ts';
import { applyLayer } from '../../snapshots/apply.ts';
import { idShiftOf } from './userns.ts';
import type { OpContext } from '../../common/context.ts';
import type { FsDeps } from './fs-ports.ts';
import { livePid, openContainerRoot, type RootHandle } from './fs-common.ts';
import { cleanContainerPath } from './archive-get.ts';

export interface PutOptions {
  /** The directory to extract into. */
  path: string;
  /** The archive (the request body). */
  tar: Readable;
  noOverwriteDirNonDir: boolean;
  /** Own the files as the container's configured user (Docker's copyUIDGID). */
  copyUIDGID: boolean;
}

/** A client that hangs up stops the extraction between entries (what was written stays, as with Docker). */
export async function archivePut(deps: FsDeps, ctx: OpContext, idOrName: string, opts: PutOptions): Promise<void> {
  const cd = deps.containers;
  const { path } = opts;
  const c = cd.store.resolve(idOrName);
  const run = async () => {
    const root = await openContainerRoot(deps, c, { write: true });
    try {
      await extractInto(deps, ctx, c, root, opts);
    } finally {
      root.release();
    }
  };
  // A running container's root is its own; a stopped one is mounted by us and must not start meanwhile.
  if (livePid(cd, c) !== undefined) await run();
  else await cd.locks.run(c.record.id, run);
  cd.events.publish('container', 'extract-to-dir', c.record.id, { path });
}

async function extractInto(
  deps: FsDeps,
  ctx: OpContext,
  c: Container,
  root: RootHandle,
  opts: PutOptions,
): Promise<void> {
  const { path, tar } = opts;
  const { abs } = cleanContainerPath(path);
  if (c.record.hostConfig.ReadonlyRootfs && livePid(deps.containers, c) === undefined) {
    throw new BerthError('forbidden', 'container rootfs is marked read-only');
  }
  let dirFd: number;
  try {
    dirFd = openDirInRoot(root.fd, abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(`Could not find the file ${path} in container ${c.record.name}`);
    if (code === 'ENOTDIR') throw invalidArgument('extraction point is not a directory');
    throw err;
  }
  try {
    const owner = opts.copyUIDGID ? ownerOf(deps, c, root) : undefined;
    const warnings: string[] = [];
    // applyLayer destroys its source on a bad entry; the request must survive to carry our answer.
    const body = new PassThrough();
    tar.pipe(body);
    await applyLayer(fdPath(dirFd), body, {
      plain: true,
      noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
      owner,
      // A remapped container's files belong to its ids as the host numbers them.
      mapIds: idShiftOf(deps.containers.settings, c.record.hostConfig)?.toHost,
      signal: ctx.signal,
      onWarning: (m) => warnings.push(m),
    });
    if (warnings.length) ctx.log.debug('cp into container', { container: c.record.id, warnings });
  } catch (err) {
    tar.unpipe();
    tar.resume(); // let the client finish sending so it reads our answer
    if ((err as NodeJS.ErrnoException).code === 'EROFS')
      throw new BerthError('forbidden', `${path} is on a read-only file system`, { cause: err });
    throw err;
  } finally {
    closeFd(dirFd);
  }
}

/** The container's user (Config.User) as uid/gid, looked up in its own /etc/passwd and /etc/group. */
function ownerOf(deps: FsDeps, c: Container, root: RootHandle): { uid: number; gid: number } | undefined {
  const user = c.record.config.User ?? '';
  if (user === '') return undefined;
  const read = (p: string) => {
    let fd: number;
    try {
      fd = openInRoot(root.fd, p, O_RDONLY);
    } catch {
      return undefined;
    }
    try {
      if (!fstatSync(fd).isFile()) return undefined;
      return readRegularFd(fd, p, 1 << 20).toString();
    } finally {
      closeFd(fd);
    }
  };
  try {
    return deps.containers.users.resolve(user, { passwd: read('/etc/passwd'), group: read('/etc/group') });
  } catch (err) {
    throw conflict(`cannot copy as user ${user}: ${(err as Error).message}`);
  }
}
