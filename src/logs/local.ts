// The local driver: dockerd's compact on-disk format (local-entry.ts frames) in
// <container>/local-logs/container.log, rotated at max-size (default 20 MB) keeping max-file
// files (default 5), rotated files gzipped unless compress=false. Also the format of the
// "dual logging" cache kept for drivers that cannot be read back (container-cached.log).
import { join } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import type { CopierMessage, MessageHandler } from './copier.ts';
import { encodeAttrsField, encodeFrame } from './local-entry.ts';
import { RotatingLogFile, type RotatingLogFileOptions } from './rotating-file.ts';
import { fromHumanSize, goAtoi, goParseBool } from '../common/go-values.ts';

export const LOCAL_KEYS = ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'];

export interface LocalOpts {
  maxSize: number;
  maxFile: number;
  compress: boolean;
}

export const LOCAL_DEFAULTS: LocalOpts = { maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true };

/** Keys only, at create time (dockerd's ValidateLogOpt for local). */
export function validateLocalKeys(opts: Record<string, string>): void {
  for (const k of Object.keys(opts))
    if (!LOCAL_KEYS.includes(k)) throw invalidArgument(`unknown log opt '${k}' for log driver local`);
}

/** Values, at start (dockerd's newConfig); `prefix` reads the cache's cache-max-size etc. */
export function parseLocalOpts(opts: Record<string, string>, prefix = ''): LocalOpts {
  const cfg = { ...LOCAL_DEFAULTS };
  const size = opts[`${prefix}max-size`];
  if (size !== undefined) {
    try {
      cfg.maxSize = fromHumanSize(size);
    } catch (err) {
      throw invalidArgument(`invalid value for max-size: ${size}: ${(err as Error).message}`);
    }
  }
  const files = opts[`${prefix}max-file`];
  if (files !== undefined) {
    try {
      cfg.maxFile = goAtoi(files);
    } catch (err) {
      throw invalidArgument(`invalid value for max-file: ${files}: ${(err as Error).message}`);
    }
  }
  const compress = opts[`${prefix}compress`];
  if (compress !== undefined) {
    try {
      cfg.compress = goParseBool(compress);
    } catch (err) {
      throw invalidArgument(`invalid boolean value for compress: ${(err as Error).message}`);
    }
  }
  if (cfg.maxSize < 0) throw invalidArgument('max-size must not be negative');
  if (cfg.maxFile < 0) throw invalidArgument('max-file must not be negative');
  if (cfg.compress && cfg.maxFile <= 1) throw invalidArgument('compression cannot be enabled when max file count is 1');
  return cfg;
}

/** Where a container's local-driver log lives. */
export const localLogPath = (containerDir: string) => join(containerDir, 'local-logs', 'container.log');

/** Where the dual-logging cache of a container lives. */
export const cachedLogPath = (containerDir: string) => join(containerDir, 'container-cached.log');

export class LocalLogWriter extends RotatingLogFile {
  readonly #rawAttrs: Buffer | undefined;

  constructor(
    path: string,
    opts: LocalOpts & Pick<RotatingLogFileOptions, 'onWarning'> & { attrs?: Record<string, string> },
  ) {
    // max-size 0 means no rotation, as in dockerd (capacity -1).
    super(path, { ...opts, maxSize: opts.maxSize > 0 ? opts.maxSize : -1, maxFile: Math.max(opts.maxFile, 1) });
    this.#rawAttrs = opts.attrs && Object.keys(opts.attrs).length ? encodeAttrsField(opts.attrs) : undefined;
  }

  readonly handler: MessageHandler = (msg: CopierMessage) => {
    let frame: Buffer;
    try {
      frame = encodeFrame(msg, this.#rawAttrs);
    } catch (err) {
      this.dropUnwritten(err);
      return Promise.resolve();
    }
    return this.append(frame, msg.timeNs);
  };
}
