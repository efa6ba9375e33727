// Values parsed the way Docker's Go code parses them, with Go's error texts: sizes (go-units
// FromHumanSize, decimal; RAMInBytes, binary), strconv's Atoi and ParseBool, and
// time.ParseDuration. Log options and CLI flags are strings whose errors users compare with
// Docker's.
import { invalidArgument } from './errors.ts';

const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
const GO_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * go-units FromHumanSize: SI (decimal) multipliers — `10k` = 10000, `20m` = 20000000; an
 * optional `b`/`ib` after the prefix (`10KB`, `10KiB`, still decimal); plain bytes; one
 * optional space before the suffix; fractions truncate (`1.5k` = 1500).
 */
export function fromHumanSize(s: string): number {
  return parseSize(s, DECIMAL);
}

/** go-units RAMInBytes: the same grammar with binary multipliers (`1m` = 1048576). */
export function ramInBytes(s: string): number {
  return parseSize(s, BINARY);
}

function parseSize(s: string, units: Record<string, number>): number {
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
  const mul = units[sfx[0]];
  if (mul === undefined) throw bad();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size);
}

export function goAtoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw invalidArgument(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw invalidArgument(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return n;
}

export function goParseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw invalidArgument(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

/** time.ParseDuration → milliseconds; undefined when not a Go duration. */
export function parseGoDuration(s: string): number | undefined {
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/y;
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (!rest) return undefined;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const m = re.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  return sign * total;
}

/** time.ParseDuration in milliseconds, with Go's error for what is not a duration. */
export function goDurationMs(s: string): number {
  const ms = parseGoDuration(s);
  if (ms === undefined) throw invalidArgument(`time: invalid duration ${goQuote(s)}`);
  return ms;
}

export const goQuote = (s: string) => JSON.stringify(s);
