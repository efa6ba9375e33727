// Translating file owners across a user namespace's id mappings (userns-remap): what a
// remapped container calls uid 0 is the first subordinate id on the host.
import { invalidArgument } from '../common/errors.ts';
import type { LinuxIDMapping } from './runtime-spec.ts';

export interface IdMappings {
  uidMappings: LinuxIDMapping[];
  gidMappings: LinuxIDMapping[];
}

/** Converts owners between the container's ids and the host's. */
export interface IdShift {
  /** Container ids → host ids; an id the mappings do not cover is refused (dockerd's rule). */
  toHost(uid: number, gid: number): [number, number];
  /**
   * Host ids → container ids. An id outside the mappings is kept: it is an image layer's
   * own (layers are stored unshifted and idmapped at mount) or a host file bound in.
   */
  toContainer(uid: number, gid: number): [number, number];
}

function find(map: LinuxIDMapping[], id: number, from: 'containerID' | 'hostID'): LinuxIDMapping | undefined {
  return map.find((m) => id >= m[from] && id < m[from] + m.size);
}

function toHostId(map: LinuxIDMapping[], id: number, what: string): number {
  const m = find(map, id, 'containerID');
  if (!m) throw invalidArgument(`Container ${what} ${id} cannot be mapped to a host ${what}`);
  return m.hostID + (id - m.containerID);
}

function toContainerId(map: LinuxIDMapping[], id: number): number {
  const m = find(map, id, 'hostID');
  return m ? m.containerID + (id - m.hostID) : id;
}

export function idShift(m: IdMappings): IdShift {
  return {
    toHost: (uid, gid) => [toHostId(m.uidMappings, uid, 'ID'), toHostId(m.gidMappings, gid, 'GID')],
    toContainer: (uid, gid) => [toContainerId(m.uidMappings, uid), toContainerId(m.gidMappings, gid)],
  };
}
