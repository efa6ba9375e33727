// Opens the container's logging driver for one run (logs/drivers.ts): the container's
// facts for tags and attributes, the daemon's json-file defaults and journal, warnings into
// berthd's log. Records made before LogConfig was settled at create get it settled here.
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from '../../common/logger.ts';
import type { MessageHandler } from '../../logs/copier.ts';
import { openLogDriver } from '../../logs/drivers.ts';
import type { DurableSink } from '../../logs/writer.ts';
import type { ContainerLogInfo, DriverContext } from '../../logs/driver.ts';
import type { Container } from '../../containers/store.ts';
import type { EngineSettings } from './settings.ts';
import { resolveLogConfig, type SettledLogConfig } from './log-config.ts';

export interface LogSink {
  handler: MessageHandler;
  close(): Promise<void>;
  /** Logs a task's durable output: resumes where the last commit left off, commits each append. */
  bind?(d: DurableSink): void;
  /** Starts a new file at the same path (the CRI's ReopenContainerLog); json-file has none. */
  reopen?(): void;
}

/** Whether the container's log driver stores its output durably (and so commits it). */
export function logsDurably(settings: EngineSettings, c: Container): boolean {
  return logDriverOf(settings, c) === 'json-file';
}

export const DEFAULT_JOURNAL_SOCKET = '/run/systemd/journal/socket';

export function logConfigOf(settings: EngineSettings, c: Container): SettledLogConfig {
  const lc = c.record.hostConfig.LogConfig;
  return lc?.Type ? { Type: lc.Type, Config: lc.Config ?? {} } : resolveLogConfig(lc, settings);
}

export function logDriverOf(settings: EngineSettings, c: Container): string {
  return logConfigOf(settings, c).Type;
}

/** The container's directory: where its json-file log lives. */
export const containerDirOf = (c: Container) => dirname(c.record.logPath);

export function logInfoOf(c: Container): ContainerLogInfo {
  const r = c.record;
  return {
    id: r.id,
    name: r.name.replace(/^\//, ''),
    imageId: r.image,
    imageName: r.config.Image,
    created: r.created,
    entrypoint: r.path,
    args: r.args,
    env: r.config.Env ?? [],
    labels: r.config.Labels ?? {},
    dir: containerDirOf(c),
    hostname: hostname(),
  };
}

export function driverContext(settings: EngineSettings, log: Logger, c: Container): DriverContext {
  return {
    warn: (msg, fields) => log.warn(msg, { container: c.record.id, ...fields }),
    journalSocket: settings.journal?.socket ?? DEFAULT_JOURNAL_SOCKET,
    journalNamespace: settings.journal?.namespace,
  };
}

/** The run's sink, or undefined for `none`. Throws the driver's error when it cannot open. */
export async function openLogSink(settings: EngineSettings, log: Logger, c: Container): Promise<LogSink | undefined> {
  const lc = logConfigOf(settings, c);
  return openLogDriver(lc.Type, logInfoOf(c), lc.Config, driverContext(settings, log, c), {
    jsonDefaults: settings.logDefaults,
    jsonPath: c.record.logPath,
  });
}
