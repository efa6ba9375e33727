// Daemon-wide settings the container services read, from flags and daemon.json (parsed
// once at start-up by the composition root).
import type { JsonFileOpts } from '../../logs/options.ts';
import type { IdMappings } from '../../oci/id-mappings.ts';

export interface EngineSettings {
  /** json-file defaults: daemon.json log-opts over Berth's bounded ones. */
  logDefaults: JsonFileOpts;
  /** daemon.json `log-driver`; a container's LogConfig.Type wins. */
  logDriver: string;
  /** daemon.json log-opts as given: merged into a container's LogConfig at create. */
  logOpts?: Record<string, string>;
  /** Where the journald driver writes (and `logs` reads): a journal namespace's or the system's. */
  journal?: { socket: string; namespace?: string };
  /** Daemon-wide detach keys (daemon.json `detach-keys`); per-call keys win. */
  detachKeys?: string;
  /** Runtime names a container may ask for (`HostConfig.Runtime`); runc is always one. */
  runtimes?: readonly string[];
  /** userns-remap: the host ids of a remapped container's root (its upper layer, host files and new volumes belong to them). */
  remappedRoot?: { uid: number; gid: number };
  /** userns-remap: the daemon's mappings (owners in commit, export and cp are translated through them). */
  idMappings?: IdMappings;
}
