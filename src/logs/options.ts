// json-file --log-opt parsing with dockerd's accepted keys, units and messages.

import { invalidArgument, notImplemented } from '../common/errors.ts';

export interface JsonFileOpts {
  /** Bytes per file before rotation; -1 = unlimited. */
  maxSize: number;
  /** Files kept in total, current one included (≥ 1). */
  maxFile: number;
}

/** Berth's daemon defaults (dockerd's default is unlimited; these match its "local" driver). */
export const BERTH_DEFAULTS: JsonFileOpts = { maxSize: 20_000_000, maxFile: 5 };

const KNOWN = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

type OptMap = Record<string, string> | Map<string, string>;
const entries = (m: OptMap): [string, string][] => (m instanceof Map ? [...m] : Object.entries(m));

/** dockerd's ValidateLogOpt for json-file: only the key names are checked. */
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
  const compress = m.get('compress');
  if (compress !== undefined) {
    const c = goParseBool(compress);
    if (c && (maxFile === 1 || maxSize === -1)) {
      throw invalidArgument('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
    if (c) throw notImplemented("compress=true is not supported by berth's json-file driver yet; use compress=false");
  }
  return { maxSize, maxFile };
}

const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const GO_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * go-units FromHumanSize: SI (decimal) multipliers — `10k` = 10000, `20m` = 20000000; an
 * optional `b`/`ib` after the prefix (`10KB`, `10KiB`, still decimal); plain bytes; one
 * optional space before the suffix; fractions truncate (`1.5k` = 1500).
 */
export function fromHumanSize(s: string): number {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--)
    if ('01234567890. '.includes(s[i])) {
      sep = i;
      break;
    }
  if (sep === -1) throw invalidArgument(`invalid size: '${s}'`);
  const num = s[sep] === ' ' ? s.slice(0, sep) : s.slice(0, sep + 1);
  let sfx = s.slice(sep + 1);
  if (!GO_FLOAT.test(num)) throw invalidArgument(`strconv.ParseFloat: parsing ${goQuote(num)}: invalid syntax`);
  let size = Number(num);
  if (size < 0) throw invalidArgument(`invalid size: '${s}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = () => invalidArgument(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = DECIMAL[sfx[0]];
  if (mul === undefined) throw bad();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size);
}

function goAtoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw invalidArgument(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw invalidArgument(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return n;
}

function goParseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw invalidArgument(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

const goQuote = (s: string) => JSON.stringify(s);
