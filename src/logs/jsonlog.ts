// One json-file record, byte for byte as dockerd writes it:
//
//   {"log":"<bytes>","stream":"stdout","attrs":{...},"time":"2024-05-01T10:11:12.123456789Z"}\n
//
// Key order is log, stream, attrs (only when present), time. "log" is escaped the way moby's
// jsonlog.ffjsonWriteJSONBytesAsString does it: `"` and `\` backslashed, \n and \r as `\n` `\r`,
// every other byte < 0x20 (TAB included) as \u00XX, `<` `>` `&` as \u003c \u003e \u0026,
// U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as \ufffd, everything else raw.
// "attrs" is Go's json.Marshal of a map[string]string (sorted keys, encoding/json escaping,
// which differs from the above only in writing \t, \b, \f as short escapes).
// "time" is Go's RFC3339Nano in UTC: fraction with trailing zeros trimmed, no dot when zero.

export type StreamName = 'stdout' | 'stderr';

/** One decoded or to-be-encoded record. `line` is the raw "log" bytes (newline included if any). */
export interface LogRecord {
  stream: StreamName;
  line: Buffer;
  /** Nanoseconds since the Unix epoch (UTC). */
  timeNs: bigint;
  attrs?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Time

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

let anchorNs = BigInt(Date.now()) * NS_PER_MS - process.hrtime.bigint();

/**
 * Wall-clock time in nanoseconds: the monotonic clock anchored to Date.now(), so records from
 * one source keep their order and get sub-millisecond resolution. If the wall clock is stepped
 * by more than a second (NTP, admin), we re-anchor and follow it as dockerd's time.Now() would.
 */
export function nowNs(): bigint {
  const t = anchorNs + process.hrtime.bigint();
  const wallMs = Date.now();
  const diffMs = wallMs - Number(t / NS_PER_MS);
  if (diffMs > 1000 || diffMs < -1000) {
    anchorNs = BigInt(wallMs) * NS_PER_MS - process.hrtime.bigint();
    return anchorNs + process.hrtime.bigint();
  }
  return t;
}

/** Milliseconds since the epoch plus extra nanoseconds (0–999999) → bigint nanoseconds. */
export function toNs(ms: number, extraNs = 0): bigint {
  return BigInt(Math.floor(ms)) * NS_PER_MS + BigInt(extraNs);
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/**
 * Go's time.Format(time.RFC3339Nano) of a UTC instant (trailing zeros of the fraction dropped),
 * or with `fixed` dockerd's RFC3339NanoFixed (always nine digits, as `docker logs -t` prints).
 * Years outside 0..9999 are clamped by Date semantics; dockerd refuses them.
 */
export function formatTime(ns: bigint, fixed = false): string {
  let sec = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    sec -= 1n;
  }
  let s: string;
  if (sec === cachedSec) {
    s = cachedPrefix;
  } else {
    const d = new Date(Number(sec) * 1000);
    s =
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
      `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
    cachedSec = sec;
    cachedPrefix = s;
  }
  if (fixed) s += '.' + frac.toString().padStart(9, '0');
  else if (frac !== 0n) s += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return s + 'Z';
}

// Records arrive in bursts within one second: format the date part once per second.
let cachedSec = -1n;
let cachedPrefix = '';

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 (any fraction length up to 9, Z or ±hh:mm) → ns since epoch; undefined if malformed. */
export function parseTime(s: string): bigint | undefined {
  const m = TIME_RE.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * NS_PER_MS + (m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n);
  if (m[9]) {
    const off = BigInt((+m[10] * 60 + +m[11]) * 60) * NS_PER_S;
    ns = m[9] === '+' ? ns - off : ns + off;
  }
  return ns;
}

// ---------------------------------------------------------------------------------------------
// String escaping

const HEX = '0123456789abcdef';

/** Length of the valid UTF-8 sequence at buf[i] (lead byte ≥ 0x80) per Go's utf8.DecodeRune, or 0 if invalid. */
function utf8SeqLen(buf: Uint8Array, i: number): number {
  const b = buf[i];
  const n = buf.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < n && buf[j] >= lo && buf[j] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

type Flavor = 'docker' | 'go';

/** Escape of an ASCII byte, or undefined when it is written raw. */
function asciiEscape(b: number, flavor: Flavor): string | undefined {
  if (b >= 0x20 && b !== 0x5c && b !== 0x22 && b !== 0x3c && b !== 0x3e && b !== 0x26) return undefined;
  switch (b) {
    case 0x5c:
      return '\\\\';
    case 0x22:
      return '\\"';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
  }
  if (flavor === 'go') {
    if (b === 0x09) return '\\t';
    if (b === 0x08) return '\\b';
    if (b === 0x0c) return '\\f';
  }
  return '\\u00' + HEX[b >> 4] + HEX[b & 0xf];
}

/**
 * Append the JSON string literal (with quotes) for `s` to `out`. Safe runs are copied as
 * slices, so the common all-ASCII line costs one copy.
 */
function pushJsonString(out: Buffer[], s: Uint8Array, flavor: Flavor): void {
  const src = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
  out.push(QUOTE);
  let start = 0;
  let i = 0;
  const n = src.length;
  const flush = (to: number) => {
    if (start < to) out.push(src.subarray(start, to));
  };
  while (i < n) {
    const b = src[i];
    if (b < 0x80) {
      const esc = asciiEscape(b, flavor);
      if (esc === undefined) {
        i++;
        continue;
      }
      flush(i);
      out.push(Buffer.from(esc, 'latin1'));
      start = ++i;
      continue;
    }
    const len = utf8SeqLen(src, i);
    if (len === 0) {
      flush(i);
      out.push(REPLACEMENT);
      start = ++i;
      continue;
    }
    if (len === 3 && b === 0xe2 && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
      flush(i);
      out.push(src[i + 2] === 0xa8 ? LS : PS);
      i += 3;
      start = i;
      continue;
    }
    i += len;
  }
  flush(n);
  out.push(QUOTE);
}

const QUOTE = Buffer.from('"');
const REPLACEMENT = Buffer.from('\\ufffd', 'latin1');
const LS = Buffer.from('\\u2028', 'latin1');
const PS = Buffer.from('\\u2029', 'latin1');

/** JSON string literal for `s` (bytes or JS string) with Docker's log escaping. */
export function dockerJsonString(s: Uint8Array | string): Buffer {
  const out: Buffer[] = [];
  pushJsonString(out, typeof s === 'string' ? Buffer.from(s) : s, 'docker');
  return Buffer.concat(out);
}

/** Go's json.Marshal(map[string]string): keys sorted bytewise, encoding/json escaping. */
export function encodeAttrs(attrs: Record<string, string>): Buffer {
  const keys = Object.keys(attrs).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: Buffer[] = [Buffer.from('{')];
  keys.forEach((k, idx) => {
    if (idx > 0) out.push(Buffer.from(','));
    pushJsonString(out, Buffer.from(k), 'go');
    out.push(Buffer.from(':'));
    pushJsonString(out, Buffer.from(attrs[k]), 'go');
  });
  out.push(Buffer.from('}'));
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// Encode

// The escapes of ASCII bytes as flat typed arrays (at most 6 bytes each, "\u0000"): the hot
// loop below stays on monomorphic typed-array reads.
const ESC_LEN = new Uint8Array(128);
const ESC_BYTES = new Uint8Array(128 * 6);
for (let b = 0; b < 128; b++) {
  const e = asciiEscape(b, 'docker');
  if (e === undefined) continue;
  ESC_LEN[b] = e.length;
  for (let k = 0; k < e.length; k++) ESC_BYTES[b * 6 + k] = e.charCodeAt(k);
}

/**
 * Writes the escaped bytes of `src` (no quotes) into `out` at `o`; returns the new offset.
 * `out` must have room for 6 bytes per input byte.
 */
function escapeInto(out: Buffer, o: number, src: Uint8Array): number {
  const n = src.length;
  let i = 0;
  while (i < n) {
    const b = src[i];
    if (b < 0x80) {
      const l = ESC_LEN[b];
      if (l === 0) {
        out[o++] = b;
        i++;
        continue;
      }
      let run = 1;
      while (i + run < n && src[i + run] === b) run++;
      const start = o;
      for (let k = b * 6, end = k + l; k < end; k++) out[o++] = ESC_BYTES[k];
      // A run of one escaped byte (NUL-filled output) doubles by memcpy instead of byte by byte.
      const total = run * l;
      while (o - start < total) {
        const chunk = Math.min(o - start, total - (o - start));
        out.copyWithin(o, start, start + chunk);
        o += chunk;
      }
      i += run;
      continue;
    }
    const len = utf8SeqLen(src, i);
    if (len === 0) {
      o += REPLACEMENT.copy(out, o);
      i++;
    } else if (len === 3 && b === 0xe2 && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
      o += (src[i + 2] === 0xa8 ? LS : PS).copy(out, o);
      i += 3;
    } else {
      for (let k = 0; k < len; k++) out[o++] = src[i + k];
      i += len;
    }
  }
  return o;
}

let scratch = Buffer.allocUnsafe(64 * 1024);

export interface EncodeOptions {
  /** Pre-encoded attrs (encodeAttrs) — computed once per container, as dockerd does. */
  rawAttrs?: Buffer;
}

/**
 * One record as a complete file line (ending in '\n'). Empty `line` omits "log" (omitempty),
 * exactly like dockerd; the copier never produces that except for an empty EOF remainder.
 */
export function encodeRecord(
  rec: Pick<LogRecord, 'stream' | 'line' | 'timeNs'> & { attrs?: Record<string, string> },
  opts: EncodeOptions = {},
): Buffer {
  const raw = opts.rawAttrs ?? (rec.attrs && Object.keys(rec.attrs).length > 0 ? encodeAttrs(rec.attrs) : undefined);
  const time = formatTime(rec.timeNs);
  const need = 64 + rec.line.length * 6 + rec.stream.length * 6 + (raw?.length ?? 0) + time.length;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  const out = scratch;
  let o = 0;
  out[o++] = 0x7b; // {
  let first = true;
  if (rec.line.length > 0) {
    o += out.write('"log":"', o, 'latin1');
    o = escapeInto(out, o, rec.line);
    out[o++] = 0x22;
    first = false;
  }
  if (rec.stream) {
    if (!first) out[o++] = 0x2c;
    o += out.write('"stream":"', o, 'latin1');
    o = escapeInto(out, o, Buffer.from(rec.stream));
    out[o++] = 0x22;
    first = false;
  }
  if (raw && raw.length > 0) {
    if (!first) out[o++] = 0x2c;
    o += out.write('"attrs":', o, 'latin1');
    o += raw.copy(out, o);
    first = false;
  }
  if (!first) out[o++] = 0x2c;
  o += out.write(`"time":"${time}"}\n`, o, 'latin1');
  return Buffer.from(out.subarray(0, o));
}

// ---------------------------------------------------------------------------------------------
// Decode

/**
 * Decode one file line (without its '\n'). Leading/trailing NUL padding (what a crash leaves
 * behind on many filesystems) is ignored. Returns undefined for anything that is not a
 * well-formed record — callers skip it; this never throws.
 */
export function decodeLine(raw: Uint8Array): LogRecord | undefined {
  let s = 0;
  let e = raw.length;
  while (s < e && (raw[s] === 0 || raw[s] === 0x20 || raw[s] === 0x0d)) s++;
  while (e > s && (raw[e - 1] === 0 || raw[e - 1] === 0x20 || raw[e - 1] === 0x0d)) e--;
  if (e - s < 2 || raw[s] !== 0x7b /* { */ || raw[e - 1] !== 0x7d /* } */) return undefined;
  // A record glued behind NULs or garbage inside the line: decode from the last '{"' that parses.
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset + s, e - s).toString('utf8'));
  } catch {
    const buf = Buffer.from(raw.buffer, raw.byteOffset + s, e - s);
    const at = buf.lastIndexOf('{"log":');
    if (at <= 0) return undefined;
    return decodeLine(buf.subarray(at));
  }
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as Record<string, unknown>;
  const log = o.log ?? '';
  const stream = o.stream ?? '';
  if (typeof log !== 'string' || typeof o.time !== 'string') return undefined;
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const timeNs = parseTime(o.time);
  if (timeNs === undefined) return undefined;
  const rec: LogRecord = { stream, line: Buffer.from(log, 'utf8'), timeNs };
  if (typeof o.attrs === 'object' && o.attrs !== null && !Array.isArray(o.attrs)) {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.attrs)) if (typeof v === 'string' && k !== '__proto__') attrs[k] = v;
    rec.attrs = attrs;
  }
  return rec;
}

/**
 * Incremental decoder over a byte stream of records. Complete lines are decoded (bad ones
 * skipped and counted); an unterminated tail is held until more bytes arrive, so a record
 * that is being written right now is never half-read.
 */
export class LineDecoder {
  #pending: Buffer = Buffer.alloc(0);
  /** Lines that were not valid records. */
  skipped = 0;

  /** Feed bytes; returns the records completed by them. */
  push(chunk: Buffer): LogRecord[] {
    const out: LogRecord[] = [];
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      if (nl > start) {
        const rec = decodeLine(buf.subarray(start, nl));
        if (rec) out.push(rec);
        else if (!isAllNul(buf, start, nl)) this.skipped++;
      }
      start = nl + 1;
    }
    buf = buf.subarray(start);
    // NUL blocks with no newline in sight: drop them instead of holding them forever.
    let z = 0;
    while (z < buf.length && buf[z] === 0) z++;
    this.#pending = Buffer.from(buf.subarray(z));
    return out;
  }

  /** Bytes held back because no newline has arrived yet. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** End of input: a well-formed record without its newline is accepted, anything else dropped. */
  end(): LogRecord[] {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    if (rest.length === 0) return [];
    const rec = decodeLine(rest);
    if (rec) return [rec];
    this.skipped++;
    return [];
  }
}

function isAllNul(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
}
