// json-file logging driver: record format, copier, writer with rotation, reader with follow/tail.
export type { LogRecord, StreamName, EncodeOptions } from './jsonlog.ts';
export {
  nowNs,
  toNs,
  formatTime,
  parseTime,
  encodeRecord,
  encodeAttrs,
  dockerJsonString,
  decodeLine,
  LineDecoder,
} from './jsonlog.ts';
export type { CopierMessage, PartialMeta, MessageHandler, CopierOptions, Copier } from './copier.ts';
export { startCopier, messageBytes, toRecord, endsLine, DEFAULT_BUF_SIZE } from './copier.ts';
export type { JsonFileWriterOptions, WriterStats } from './writer.ts';
export { RotatingLogFile } from './rotating-file.ts';
export { JsonFileWriter } from './writer.ts';
export type { JsonFileOpts } from './options.ts';
export { parseLogOpts, validateLogOpts, fromHumanSize, BERTH_DEFAULTS } from './options.ts';
export type { LogEntry, ReadLogsOptions } from './reader.ts';
export { readLogs } from './reader.ts';
