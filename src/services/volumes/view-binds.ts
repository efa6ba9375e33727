// A stopped container's volumes for a private view of its filesystem (docker cp): each is
// mounted over its destination as it would be in the container. A plain local volume's
// data is handed over as an fd opened without following symlinks (the view mounts
// /proc/self/fd/N: exactly that directory); others, and mounted images, are mounted for
// the view's duration.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { closeFd, O_DIRECTORY, O_PATH } from '../../sys/libc.ts';
import { fdPath, openNoFollow, openRoot } from '../../sys/inroot.ts';
import type { Container } from '../../containers/store.ts';
import { needsMount } from '../../volumes/local-options.ts';
import { LOCAL_DRIVER } from '../../volumes/record.ts';
import { DATA_DIR } from '../../volumes/store.ts';
import { mountPointsOf } from '../containers/mount-points.ts';
import type { FsView, ViewBind } from '../containers/fs-ports.ts';
import type { ContainerVolumeDeps } from './container-deps.ts';

export async function viewBinds(
  deps: ContainerVolumeDeps,
  c: Container,
): Promise<{ binds: ViewBind[]; release(): void }> {
  const fds: number[] = [];
  const mounted: { name: string; ref: string }[] = [];
  const views: FsView[] = [];
  const binds: ViewBind[] = [];
  const release = () => {
    for (const fd of fds.splice(0)) closeFd(fd);
    for (const v of views.splice(0)) v.release();
    for (const m of mounted.splice(0))
      void deps.volumes
        .unmount(m.name, m.ref)
        .catch((err) => deps.log.warn('unmounting a volume after a copy failed', { volume: m.name, err }));
  };
  try {
    for (const mp of mountPointsOf(c.record)) {
      if (mp.Type === 'tmpfs' || mp.Destination in (c.record.hostConfig.Tmpfs ?? {})) continue;
      const readonly = !mp.RW;
      if (mp.Type === 'bind') {
        binds.push({ source: mp.Source, destination: mp.Destination, readonly });
        continue;
      }
      if (mp.Type === 'image') {
        const view = deps.viewImage(deps.imageLayers(mp.Source).lowers);
        views.push(view);
        // The subpath was checked at create (no symlink on the way) and an image never changes.
        const sub = mp.Spec.ImageOptions?.Subpath;
        binds.push({ source: sub ? join(view.root, sub) : view.root, destination: mp.Destination, readonly: true });
        continue;
      }
      const r = deps.volumes.get(mp.Name);
      if (!r) continue;
      if (r.driver === LOCAL_DRIVER && !needsMount(r.options)) {
        const vol = openRoot(deps.volumes.store.dir(mp.Name));
        try {
          fds.push(openNoFollow(vol, DATA_DIR, O_PATH | O_DIRECTORY));
        } finally {
          closeFd(vol);
        }
        binds.push({ source: fdPath(fds[fds.length - 1]), destination: mp.Destination, readonly });
        continue;
      }
      const ref = `view-${randomBytes(6).toString('hex')}`;
      const path = await deps.volumes.mount(mp.Name, ref);
      mounted.push({ name: mp.Name, ref });
      binds.push({ source: path, destination: mp.Destination, readonly });
    }
  } catch (err) {
    release();
    throw err;
  }
  return { binds, release };
}
