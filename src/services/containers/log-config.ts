// A container's logging configuration as dockerd settles it at create: no driver means the
// daemon's (daemon.json log-driver); the daemon's log-opts fill in keys the container does
// not set when it uses the daemon's driver, and the dual-logging cache-* opts always do.
// The result is validated (dockerd's order and words) and stored in the HostConfig.
import { invalidArgument } from '../../common/errors.ts';
import type { LogConfig } from '../../api/types/containers.ts';
import { validateLogConfig } from '../../logs/drivers.ts';
import type { EngineSettings } from './settings.ts';

/** A LogConfig once settled: its driver named, its options all given. */
export interface SettledLogConfig {
  Type: string;
  Config: Record<string, string>;
}

export function resolveLogConfig(
  lc: Partial<LogConfig> | undefined,
  settings: Pick<EngineSettings, 'logDriver' | 'logOpts'>,
): SettledLogConfig {
  if (lc?.Type !== undefined && lc.Type !== null && typeof lc.Type !== 'string')
    throw invalidArgument(
      'json: cannot unmarshal into Go struct field LogConfig.HostConfig.LogConfig.Type of type string',
    );
  for (const [k, v] of Object.entries(lc?.Config ?? {}))
    if (typeof v !== 'string')
      throw invalidArgument(
        `json: cannot unmarshal ${typeof v} into Go struct field LogConfig.HostConfig.LogConfig.Config of type string (key ${k})`,
      );
  const type = lc?.Type || settings.logDriver || 'json-file';
  const config: Record<string, string> = { ...(lc?.Config ?? {}) };
  for (const [k, v] of Object.entries(settings.logOpts ?? {})) {
    if (k in config) continue;
    if (type === (settings.logDriver || 'json-file') || k.startsWith('cache-')) config[k] = v;
  }
  validateLogConfig(type, config);
  return { Type: type, Config: config };
}
