// Opens the container's log driver for one run: json-file with rotation, or none.
import { JsonFileWriter } from '../../logs/writer.ts';
import { parseLogOpts } from '../../logs/options.ts';
import type { MessageHandler } from '../../logs/copier.ts';
import type { Logger } from '../../common/logger.ts';
import type { Container } from '../../containers/store.ts';
import type { EngineSettings } from './settings.ts';

export interface LogSink {
  handler: MessageHandler;
  close(): Promise<void>;
}

export function logDriverOf(settings: EngineSettings, c: Container): string {
  return c.record.hostConfig.LogConfig?.Type || settings.logDriver || 'json-file';
}

export function openLogSink(settings: EngineSettings, log: Logger, c: Container): LogSink | undefined {
  if (logDriverOf(settings, c) !== 'json-file') return undefined;
  const opts = parseLogOpts(c.record.hostConfig.LogConfig?.Config ?? {}, settings.logDefaults);
  const w = new JsonFileWriter(c.record.logPath, {
    maxSize: opts.maxSize,
    maxFile: opts.maxFile,
    onWarning: (msg, fields) => log.warn(msg, { container: c.record.id, ...fields }),
  });
  return { handler: w.handler, close: () => w.close() };
}
