// A container under userns-remap (unless it asked for the host's user namespace): who its
// root is on the host, and how owners translate between its ids and the host's.
import { idShift, type IdShift } from '../../oci/id-mappings.ts';
import type { EngineSettings } from './settings.ts';

type Hc = { UsernsMode?: string };

/** The host ids of the container's root when it runs in the daemon's user namespace. */
export function remappedRootOf(settings: EngineSettings, hc: Hc): { uid: number; gid: number } | undefined {
  return hc.UsernsMode === 'host' ? undefined : settings.remappedRoot;
}

/** Owner translation for a remapped container's files (commit, export, cp); undefined otherwise. */
export function idShiftOf(settings: EngineSettings, hc: Hc): IdShift | undefined {
  return hc.UsernsMode === 'host' || !settings.idMappings ? undefined : idShift(settings.idMappings);
}
