// The real layer store adapter (daemon/layers-adapter.ts over snapshots/: layer dirs under
// a data root, overlay mounts) passes the conformance suite the fake passes in the unit
// tests. Root only (whiteouts are device nodes, opaque dirs trusted xattrs, roots overlay
// mounts); a temporary layer dir or a mount left behind fails the test.
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layers } from '../src/daemon/layers-adapter.ts';
import { mountAll, unmount } from '../src/snapshots/overlay.ts';
import { mountsUnder, unmountRecursive } from '../src/sys/mountinfo.ts';
import { layerStoreConformance, type RootView } from '../src/services/testing/layers-conformance.ts';
import { isRoot } from './helpers/daemon.ts';

const orUndefined = <T>(p: Promise<T>) => p.catch(() => undefined);

layerStoreConformance(
  'layers-adapter (snapshots/)',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-conformance-layers-'));
    const dataRoot = join(root, 'data');
    const open = async () => {
      const l = new Layers(dataRoot);
      await l.init();
      return l;
    };
    let n = 0;
    const h = {
      layers: await open(),
      async restart() {
        h.layers = await open();
        return h.layers;
      },
      rwDir: async () => join(root, 'containers', String(++n)),
      async mount(mounts: ReturnType<Layers['rootfsMounts']>): Promise<RootView> {
        const target = join(root, 'mnt', String(++n));
        mkdirSync(target, { recursive: true });
        mountAll(mounts, target);
        const at = (p: string) => join(target, p);
        return {
          read: (p) => orUndefined(readFile(at(p), 'utf8')),
          list: async (p) => (await orUndefined(readdir(at(p))))?.sort(),
          write: (p, text) => writeFile(at(p), text),
          remove: (p) => unlink(at(p)),
          unmount: async () => unmount(target),
        };
      },
      async close() {
        const leaks = [
          ...mountsUnder(root).map((m) => `mount ${m.mountPoint}`),
          ...((await orUndefined(readdir(join(dataRoot, 'layers')))) ?? [])
            .filter((f) => f.startsWith('tmp-'))
            .map((f) => `unfinished layer dir ${f}`),
        ];
        unmountRecursive(root);
        await rm(root, { recursive: true, force: true });
        if (leaks.length) throw new Error(`left behind: ${leaks.join(', ')}`);
      },
    };
    return h;
  },
  { skip: isRoot ? undefined : 'needs root (device-node whiteouts, trusted xattrs, overlay mounts)' },
);
