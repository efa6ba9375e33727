// A container under userns-remap (unless it asked for the host's user namespace): who its
// root is on the host, and how owners translate between its ids and the host's.
import { conflict } from '../../common/errors.ts';
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

/**
 * A container runs only under the remapping it was created with: its upper layer and host
 * files belong to that root (dockerd keeps each remapping's containers in a data root of
 * their own, so it never meets one from another).
 */
export function checkSameRemap(
  settings: EngineSettings,
  record: { id: string; hostConfig: Hc; remappedRoot?: { uid: number; gid: number } },
): void {
  const now = remappedRootOf(settings, record.hostConfig);
  const then = record.remappedRoot;
  if (now?.uid === then?.uid && now?.gid === then?.gid) return;
  const say = (r: { uid: number; gid: number } | undefined) =>
    r ? `user namespace remapping (root ${r.uid}:${r.gid})` : 'no user namespace remapping';
  throw conflict(
    `container ${record.id.slice(0, 12)} was created with ${say(then)} and berthd now runs with ${say(now)}: its files belong to the other root; start berthd with the --userns-remap it was created under, or recreate the container`,
  );
}
