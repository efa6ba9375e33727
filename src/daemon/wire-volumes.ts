// Wires the volume service (records, local driver, plugins) to the /volumes router and,
// as the ContainerVolumes port, to the container services.
import { idShift, type IdMappings } from '../oci/id-mappings.ts';
import { join } from 'node:path';
import type { Router } from '../api/router.ts';
import { volumeRoutes } from '../api/routes/volumes.ts';
import type { Logger } from '../common/logger.ts';
import type { ContainerStore } from '../containers/store.ts';
import type { EventBus } from '../events/bus.ts';
import type { Quarantined } from '../metadata/record-dir.ts';
import { statInLayers } from '../snapshots/layer-read.ts';
import type { ContainerFsPort } from '../services/containers/fs-ports.ts';
import { mountPointsOf } from '../services/containers/mount-points.ts';
import type { ContainerVolumes } from '../services/containers/volume-port.ts';
import { containerVolumes } from '../services/volumes/container-volumes.ts';
import { createVolume } from '../services/volumes/create.ts';
import type { VolumeDeps } from '../services/volumes/deps.ts';
import { inspectVolume, listVolumes, removeVolume } from '../services/volumes/manage.ts';
import { pruneVolumes } from '../services/volumes/prune.ts';
import { PluginRegistry } from '../volumes/plugins.ts';
import { sweepPins } from '../volumes/subpath.ts';
import { Volumes } from '../volumes/volumes.ts';
import type { DaemonConfig } from './config.ts';

export interface VolumeWiring {
  deps: VolumeDeps;
  containers: ContainerVolumes;
  /** Loads the records and gives containers their references back; returns what was quarantined. */
  init(): Promise<Quarantined[]>;
  /** After the containers were restored: unmounts what no running container uses. */
  afterRestore(): void;
  close(): Promise<void>;
}

export function wireVolumes(o: {
  config: DaemonConfig;
  events: EventBus;
  log: Logger;
  router: Router;
  store: ContainerStore;
  fs: ContainerFsPort;
  /** An image's ID and layer dirs (image mounts). */
  imageLayers(ref: string): { id: string; lowers: string[] };
  /** userns-remap: new local volumes' data belongs to the remapped root; copy-up shifts owners. */
  remap?: IdMappings & { root: { uid: number; gid: number } };
}): VolumeWiring {
  const plugins = new PluginRegistry({
    timeoutMs: o.config.volumePluginTimeout > 0 ? o.config.volumePluginTimeout * 1000 : undefined,
  });
  const volumes = new Volumes({ root: join(o.config.dataRoot, 'volumes'), plugins, dataOwner: o.remap?.root });
  const shift = o.remap ? idShift(o.remap) : undefined;
  const deps: VolumeDeps = { volumes, events: o.events, log: o.log };
  const pinsDir = join(o.config.execRoot, 'volume-subpaths');
  volumeRoutes(o.router, {
    create: (body) => createVolume(deps, body),
    list: (f) => listVolumes(deps, f),
    inspect: (name) => inspectVolume(deps, name),
    remove: (name, opts) => removeVolume(deps, name, opts),
    prune: (f, v, signal) => pruneVolumes(deps, { signal, log: o.log }, f, v),
  });
  const containers = containerVolumes({
    ...deps,
    containers: o.store,
    statImagePath: (lowers, path) => statInLayers(lowers, path),
    viewImage: (lowers) => o.fs.mountView(lowers),
    imageLayers: o.imageLayers,
    dataRoot: o.config.dataRoot,
    pinsDir,
    copyUpIds: (hc) => (shift && hc.UsernsMode !== 'host' ? shift.toHost : undefined),
  });
  return {
    deps,
    containers,
    async init() {
      const { quarantined, undone } = await volumes.load();
      for (const name of undone) o.log.warn('undid a copy-up a crash had cut short', { volume: name });
      for (const c of o.store.list())
        for (const mp of mountPointsOf(c.record)) if (mp.Type === 'volume') volumes.restoreRef(mp.Name, c.record.id);
      sweepPins(pinsDir);
      return quarantined;
    },
    afterRestore() {
      for (const name of volumes.local.unmountIdle()) o.log.info('unmounted a volume nothing uses', { volume: name });
    },
    close: () => volumes.store.drain(),
  };
}
