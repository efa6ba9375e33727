// Opens the container's log driver for one run: json-file with rotation, or none.
import { JsonFileWriter } from '../../logs/writer.ts';
import { parseLogOpts } from '../../logs/options.ts';
import type { MessageHandler } from '../../logs/copier.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';

export interface LogSink {
  handler: MessageHandler;
  close(): Promise<void>;
}

export function logDriverOf(deps: ContainerDeps, c: Container): string {
  return c.record.hostConfig.LogConfig?.Type || deps.settings.logDriver || 'json-file';
}

export function openLogSink(deps: ContainerDeps, c: Container): LogSink | undefined {
  if (logDriverOf(deps, c) !== 'json-file') return undefined;
  const opts = parseLogOpts(c.record.hostConfig.LogConfig?.Config ?? {}, deps.settings.logDefaults);
  const w = new JsonFileWriter(c.record.logPath, {
    maxSize: opts.maxSize,
    maxFile: opts.maxFile,
    onWarning: (msg, fields) => deps.log.warn(msg, { container: c.record.id, ...fields }),
  });
  return { handler: w.handler, close: () => w.close() };
}
