// json-file --log-opt parsing with dockerd's accepted keys, units and messages.

import { invalidArgument } from '../common/errors.ts';
import { fromHumanSize, goAtoi, goParseBool } from '../common/go-values.ts';

export interface JsonFileOpts {
  /** Bytes per file before rotation; -1 = unlimited. */
  maxSize: number;
  /** Files kept in total, current one included (≥ 1). */
  maxFile: number;
  /** Gzip rotated files. */
  compress?: boolean;
}

/** Berth's daemon defaults (dockerd's default is unlimited; these match its "local" driver). */
export const BERTH_DEFAULTS: JsonFileOpts = { maxSize: 20_000_000, maxFile: 5 };

const KNOWN = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

type OptMap = Record<string, string> | Map<string, string>;
const entries = (m: OptMap): [string, string][] => (m instanceof Map ? [...m] : Object.entries(m));

/** dockerd's ValidateLogOpt for json-file: only the key names are checked (builtin opts removed before). */
export function validateLogOpts(opts: OptMap): void {
  for (const [key] of entries(opts)) {
    if (!KNOWN.has(key)) throw invalidArgument(`unknown log opt '${key}' for json-file log driver`);
  }
}

/**
 * Keys and values, as dockerd's json-file New() does. `defaults` fill in keys that are absent
 * (the daemon's configured log-opts); Docker itself defaults to max-size unlimited, max-file 1.
 */
export function parseLogOpts(opts: OptMap, defaults: JsonFileOpts = { maxSize: -1, maxFile: 1 }): JsonFileOpts {
  validateLogOpts(opts);
  const m = new Map(entries(opts));
  let maxSize = defaults.maxSize;
  const sizeStr = m.get('max-size');
  if (sizeStr !== undefined) {
    maxSize = fromHumanSize(sizeStr);
    if (maxSize <= 0) throw invalidArgument('max-size must be a positive number');
  }
  let maxFile = defaults.maxFile;
  const fileStr = m.get('max-file');
  if (fileStr !== undefined) {
    maxFile = goAtoi(fileStr);
    if (maxFile < 1) throw invalidArgument('max-file cannot be less than 1');
  }
  let compress = defaults.compress ?? false;
  const compressStr = m.get('compress');
  if (compressStr !== undefined) {
    compress = goParseBool(compressStr);
    if (compress && (maxFile === 1 || maxSize === -1)) {
      throw invalidArgument('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }
  return { maxSize, maxFile, compress };
}

export { fromHumanSize };
