// Daemon-wide settings the container services read, from flags and daemon.json (parsed
// once at start-up by the composition root).
import type { JsonFileOpts } from '../../logs/options.ts';

export interface EngineSettings {
  /** json-file defaults: daemon.json log-opts over Berth's bounded ones. */
  logDefaults: JsonFileOpts;
  /** daemon.json `log-driver`; a container's LogConfig.Type wins. */
  logDriver: string;
  /** Daemon-wide detach keys (daemon.json `detach-keys`); per-call keys win. */
  detachKeys?: string;
}
