// Wires the volume service (records, local driver, plugins) to the /volumes router.
import { join } from 'node:path';
import type { Router } from '../api/router.ts';
import { volumeRoutes } from '../api/routes/volumes.ts';
import type { Logger } from '../common/logger.ts';
import type { EventBus } from '../events/bus.ts';
import type { VolumeDeps } from '../services/volumes/deps.ts';
import { createVolume } from '../services/volumes/create.ts';
import { inspectVolume, listVolumes, removeVolume } from '../services/volumes/manage.ts';
import { pruneVolumes } from '../services/volumes/prune.ts';
import { PluginRegistry } from '../volumes/plugins.ts';
import { Volumes } from '../volumes/volumes.ts';
import type { Quarantined } from '../metadata/record-dir.ts';
import type { DaemonConfig } from './config.ts';

export interface VolumeWiring {
  deps: VolumeDeps;
  /** Loads the records; returns what was quarantined. */
  init(): Promise<Quarantined[]>;
}

export function wireVolumes(o: { config: DaemonConfig; events: EventBus; log: Logger; router: Router }): VolumeWiring {
  const plugins = new PluginRegistry({
    timeoutMs: o.config.volumePluginTimeout > 0 ? o.config.volumePluginTimeout * 1000 : undefined,
  });
  const volumes = new Volumes({ root: join(o.config.dataRoot, 'volumes'), plugins });
  const deps: VolumeDeps = { volumes, events: o.events, log: o.log };
  volumeRoutes(o.router, {
    create: (body) => createVolume(deps, body),
    list: (f) => listVolumes(deps, f),
    inspect: (name) => inspectVolume(deps, name),
    remove: (name, opts) => removeVolume(deps, name, opts),
    prune: (f, v) => pruneVolumes(deps, f, v),
  });
  return {
    deps,
    async init() {
      const { quarantined, undone } = await volumes.load();
      for (const name of undone) o.log.warn('undid a copy-up a crash had cut short', { volume: name });
      return quarantined;
    },
  };
}
