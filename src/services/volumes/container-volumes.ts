// The ContainerVolumes port (services/containers/volume-port.ts) made of the use cases of
// this folder.
import type { ContainerVolumes } from '../containers/volume-port.ts';
import { LOCAL_DRIVER } from '../../volumes/record.ts';
import { adoptMounts, AttachedRegistry, attachMounts, detachMounts } from './attach.ts';
import type { ContainerVolumeDeps } from './container-deps.ts';
import { forgetMounts } from './forget.ts';
import { abandonMounts, prepareMounts } from './prepare.ts';
import { viewBinds } from './view-binds.ts';

export function containerVolumes(deps: ContainerVolumeDeps): ContainerVolumes {
  const registry = new AttachedRegistry();
  return {
    prepare: (req) => prepareMounts(deps, req),
    abandon: (id, mounts) => abandonMounts(deps, id, mounts),
    attach: (c) => attachMounts(deps, registry, c),
    detach: (c, opts) => detachMounts(deps, registry, c, opts),
    // A run's mounts go first: an anonymous volume still mounted cannot be removed.
    forget: async (c, removeAnonymous) => {
      await detachMounts(deps, registry, c);
      await forgetMounts(deps, c, removeAnonymous);
    },
    adopt: (c) => adoptMounts(deps, registry, c),
    forView: (c) => viewBinds(deps, c),
    sourceOf(c, mp) {
      if (mp.Type !== 'volume') return mp.Source;
      if (mp.Driver === LOCAL_DRIVER) return deps.volumes.dataPath(mp.Name);
      return registry.pathOf(c.record.id, mp.Name) ?? '';
    },
  };
}
