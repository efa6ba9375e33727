// Disk usage of local volumes (GET /system/df, volume prune): bytes of the data directory
// as Docker counts them — regular files, symlinks and the like, each inode once, never
// directories and never across a mount.
import { lstatSync, readdirSync } from 'node:fs';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { closeFd, O_DIRECTORY, O_PATH } from '../../sys/libc.ts';
import { atPath, fdPath, openNoFollow, openRoot } from '../../sys/inroot.ts';
import { needsMount } from '../../volumes/local-options.ts';
import { LOCAL_DRIVER, type VolumeRecord } from '../../volumes/record.ts';
import { DATA_DIR } from '../../volumes/store.ts';
import type { VolumeDeps } from './deps.ts';
import { volumeView, type VolumeView } from './views.ts';

/** Local volumes without mount options: their bytes live in the data root. */
export const isPlainLocal = (r: VolumeRecord) => r.driver === LOCAL_DRIVER && !needsMount(r.options);

/** Size of a volume's data; -1 when it cannot be read. */
export async function volumeSize(deps: VolumeDeps, name: string): Promise<number> {
  let root: number;
  try {
    const vol = openRoot(deps.volumes.store.dir(name));
    try {
      root = openNoFollow(vol, DATA_DIR, O_PATH | O_DIRECTORY);
    } finally {
      closeFd(vol);
    }
  } catch {
    return -1;
  }
  const seen = new Set<string>();
  let total = 0;
  let n = 0;
  const dev = lstatSync(`${fdPath(root)}/.`).dev;
  const stack = [root];
  try {
    while (stack.length) {
      const dir = stack.pop()!;
      try {
        for (const name of readdirSync(fdPath(dir))) {
          if (++n % 1024 === 0) await yieldTurn();
          const st = lstatSync(atPath(dir, name), { throwIfNoEntry: false });
          if (!st) continue;
          if (st.isDirectory()) {
            if (st.dev !== dev) continue; // a mount point: not this volume's bytes
            stack.push(openNoFollow(dir, name, O_PATH | O_DIRECTORY));
            continue;
          }
          if (st.nlink > 1) {
            const k = `${st.dev}:${st.ino}`;
            if (seen.has(k)) continue;
            seen.add(k);
          }
          total += st.size;
        }
      } finally {
        closeFd(dir);
      }
    }
  } catch {
    for (const fd of stack) closeFd(fd);
    return -1;
  }
  return total;
}

/** GET /system/df's Volumes: plain local volumes with their size and reference count. */
export async function volumeUsage(deps: VolumeDeps): Promise<VolumeView[]> {
  const out: VolumeView[] = [];
  for (const r of deps.volumes
    .list()
    .filter(isPlainLocal)
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const info = await deps.volumes.describe(r);
    out.push(volumeView(info, { Size: await volumeSize(deps, r.name), RefCount: deps.volumes.refsOf(r.name).length }));
  }
  return out;
}
