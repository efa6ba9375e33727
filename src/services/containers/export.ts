// GET /containers/{id}/export: the container's merged filesystem as a tar stream. A
// running container is read through the rootfs its shim mounted (no binds or volumes, as
// Docker); a stopped one through a private read-only overlay of its upper dir and layers.
// The walk holds an fd and maybe a mount: both go on every path out — the end of the
// walk, an error, or the client hanging up (`ctx.signal` aborts).
import type { Readable } from 'node:stream';
import { isMounted } from '../../sys/mountinfo.ts';
import { closeFd } from '../../sys/libc.ts';
import { openRoot } from '../../sys/inroot.ts';
import { TarWriter } from '../../tar/writer.ts';
import { tarEntry } from '../../snapshots/tree-tar.ts';
import { idShiftOf } from './userns.ts';
import { conflict } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import type { FsDeps } from './fs-ports.ts';
import { livePid } from './fs-common.ts';
import { lowersOf, upperOf } from './rootfs.ts';

export function exportContainer(deps: Pick<FsDeps, 'containers' | 'fs'>, ctx: OpContext, idOrName: string): Readable {
  const signal = ctx.signal;
  const cd = deps.containers;
  const c = cd.store.resolve(idOrName);
  const st = c.runtime.state.Status;
  if (st === 'removing' || st === 'dead') throw conflict(`container ${c.record.name} is marked for removal`);
  let rootFd: number;
  let release = () => {};
  const taskRoot = deps.fs.taskRootfs(c.record.id);
  if (livePid(cd, c) !== undefined && isMounted(taskRoot)) {
    rootFd = openRoot(taskRoot);
  } else {
    const view = deps.fs.mountView([upperOf(cd, c), ...lowersOf(cd, c)]);
    try {
      rootFd = openRoot(view.root);
    } catch (err) {
      view.release();
      throw err;
    }
    release = () => view.release();
  }
  const w = new TarWriter();
  // Destroying with an error wakes a write waiting for 'drain' from a client that left.
  const onAbort = () => w.stream.destroy(new Error('export aborted: client went away'));
  signal.addEventListener('abort', onAbort, { once: true });
  w.stream.on('error', () => {});
  void (async () => {
    try {
      await tarEntry(w, rootFd, null, '', {
        signal,
        mapIds: idShiftOf(deps.containers.settings, c.record.hostConfig)?.toContainer,
      });
      await w.finish();
    } catch (err) {
      ctx.log.debug('export ended early', { container: c.record.id, err });
      w.stream.destroy(err as Error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      closeFd(rootFd);
      try {
        release();
      } catch (err) {
        ctx.log.error('unmounting an export view failed', { container: c.record.id, err });
      }
    }
  })();
  cd.events.publish('container', 'export', c.record.id);
  return w.stream;
}
