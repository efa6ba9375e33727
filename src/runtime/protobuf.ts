// A minimal proto3 codec driven by field tables: enough for ttrpc and the containerd task
// API. Values map to JS as: string → string, bytes → Uint8Array, bool → boolean, every
// integer type (32 or 64 bit) → number (64-bit values beyond 2^53 lose precision, which
// no field we use can reach), message → object (undefined when absent).
//
// Proto3 rules kept: scalars equal to their default are not written; repeated numeric
// fields are written packed and read packed or unpacked; unknown fields are skipped.
import { invalidArgument } from '../common/errors.ts';

export type ScalarType =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'enum'
  | 'fixed32'
  | 'sfixed32'
  | 'fixed64'
  | 'sfixed64'
  | 'double'
  | 'float';

export interface FieldSpec {
  readonly no: number;
  readonly type: ScalarType | MessageCodec<object>;
  readonly repeated?: boolean;
}

export interface MessageCodec<T extends object> {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  encode(value: Partial<T>): Uint8Array;
  decode(buf: Uint8Array): T;
}

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

function wireType(t: FieldSpec['type']): number {
  if (typeof t !== 'string') return WIRE_LEN;
  switch (t) {
    case 'string':
    case 'bytes':
      return WIRE_LEN;
    case 'fixed32':
    case 'sfixed32':
    case 'float':
      return WIRE_32;
    case 'fixed64':
    case 'sfixed64':
    case 'double':
      return WIRE_64;
    default:
      return WIRE_VARINT;
  }
}

// ---- writer -----------------------------------------------------------------------------

export class Writer {
  private buf = new Uint8Array(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned varint of any non-negative integer, or a negative one as 64-bit two's complement. */
  varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
      let n = v >>> 0;
      while (n > 0x7f) {
        this.byte((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.byte(n);
      return;
    }
    let n = BigInt.asUintN(64, BigInt(v));
    while (n > 0x7fn) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  fixed32(v: number, kind: 'u' | 's' | 'f'): void {
    this.reserve(4);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4);
    if (kind === 'f') dv.setFloat32(0, v, true);
    else if (kind === 's') dv.setInt32(0, v, true);
    else dv.setUint32(0, v >>> 0, true);
    this.len += 4;
  }

  fixed64(v: number, kind: 'u' | 's' | 'f'): void {
    this.reserve(8);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8);
    if (kind === 'f') dv.setFloat64(0, v, true);
    else dv.setBigUint64(0, BigInt.asUintN(64, BigInt(Math.trunc(v))), true);
    this.len += 8;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

// ---- reader -----------------------------------------------------------------------------

export class Reader {
  pos = 0;
  readonly buf: Uint8Array;
  readonly end: number;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.end = buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw invalidArgument('protobuf: truncated message');
  }

  /** Varint as bigint (exact for all 64-bit values). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw invalidArgument('protobuf: varint too long');
  }

  /** Varint as number, fast path for values below 2^28. */
  varint(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 4; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      result |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return result >>> 0;
    }
    this.pos = start;
    return Number(this.varintBig());
  }

  bytes(): Uint8Array {
    const n = this.varint();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  fixed32(): DataView {
    this.need(4);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4);
    this.pos += 4;
    return dv;
  }

  fixed64(): DataView {
    this.need(8);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return dv;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varintBig();
        return;
      case WIRE_64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw invalidArgument(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

// ---- scalar encode/decode ---------------------------------------------------------------

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function isDefault(t: FieldSpec['type'], v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof t !== 'string') return false;
  switch (t) {
    case 'string':
      return v === '';
    case 'bytes':
      return (v as Uint8Array).length === 0;
    case 'bool':
      return v === false;
    default:
      return v === 0 || v === 0n;
  }
}

function writeScalar(w: Writer, t: ScalarType, v: unknown): void {
  switch (t) {
    case 'string':
      w.bytes(utf8.encode(v as string));
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    case 'bool':
      w.varint(v ? 1 : 0);
      return;
    case 'int32':
    case 'enum':
    case 'int64':
    case 'uint32':
    case 'uint64': {
      const n = v as number | bigint;
      if (typeof n === 'number' && !Number.isInteger(n))
        throw invalidArgument(`protobuf: ${t} value ${n} is not an integer`);
      w.varint(t === 'uint32' && typeof n === 'number' ? n >>> 0 : n);
      return;
    }
    case 'fixed32':
      w.fixed32(v as number, 'u');
      return;
    case 'sfixed32':
      w.fixed32(v as number, 's');
      return;
    case 'float':
      w.fixed32(v as number, 'f');
      return;
    case 'fixed64':
      w.fixed64(v as number, 'u');
      return;
    case 'sfixed64':
      w.fixed64(v as number, 's');
      return;
    case 'double':
      w.fixed64(v as number, 'f');
      return;
  }
}

function readScalar(r: Reader, t: ScalarType): unknown {
  switch (t) {
    case 'string':
      return utf8d.decode(r.bytes());
    case 'bytes':
      return r.bytes().slice();
    case 'bool':
      return r.varintBig() !== 0n;
    case 'uint32':
      return Number(BigInt.asUintN(32, r.varintBig()));
    case 'int32':
    case 'enum':
      return Number(BigInt.asIntN(32, r.varintBig()));
    case 'uint64':
      return Number(BigInt.asUintN(64, r.varintBig()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varintBig()));
    case 'fixed32':
      return r.fixed32().getUint32(0, true);
    case 'sfixed32':
      return r.fixed32().getInt32(0, true);
    case 'float':
      return r.fixed32().getFloat32(0, true);
    case 'fixed64':
      return Number(r.fixed64().getBigUint64(0, true));
    case 'sfixed64':
      return Number(r.fixed64().getBigInt64(0, true));
    case 'double':
      return r.fixed64().getFloat64(0, true);
  }
}

function defaultOf(f: FieldSpec): unknown {
  if (f.repeated) return [];
  const t = f.type;
  if (typeof t !== 'string') return undefined;
  switch (t) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    default:
      return 0;
  }
}

// ---- messages ---------------------------------------------------------------------------

/** Defines a message codec from a table `{fieldName: {no, type, repeated?}}`. */
export function message<T extends object>(
  name: string,
  fields: { readonly [K in keyof T]-?: FieldSpec },
): MessageCodec<T> {
  const table = fields as unknown as Record<string, FieldSpec>;
  const byNo = new Map<number, [string, FieldSpec]>();
  for (const [k, f] of Object.entries(table)) {
    if (byNo.has(f.no)) throw new Error(`protobuf: ${name}: field number ${f.no} used twice`);
    byNo.set(f.no, [k, f]);
  }
  const entries = Object.entries(table).sort((a, b) => a[1].no - b[1].no);

  const encodeInto = (w: Writer, value: Record<string, unknown>): void => {
    for (const [k, f] of entries) {
      const v = value[k];
      if (v === undefined || v === null) continue;
      const t = f.type;
      if (f.repeated) {
        const arr = v as unknown[];
        if (arr.length === 0) continue;
        if (typeof t === 'string' && wireType(t) !== WIRE_LEN) {
          const inner = new Writer();
          for (const item of arr) writeScalar(inner, t, item);
          w.tag(f.no, WIRE_LEN);
          w.bytes(inner.finish());
        } else {
          for (const item of arr) {
            w.tag(f.no, WIRE_LEN);
            if (typeof t === 'string') writeScalar(w, t, item);
            else w.bytes(t.encode(item as object));
          }
        }
        continue;
      }
      if (typeof t !== 'string') {
        w.tag(f.no, WIRE_LEN);
        w.bytes(t.encode(v as object));
        continue;
      }
      if (isDefault(t, v)) continue;
      w.tag(f.no, wireType(t));
      writeScalar(w, t, v);
    }
  };

  const codec: MessageCodec<T> = {
    name,
    fields: table,
    encode(value) {
      const w = new Writer();
      encodeInto(w, value as Record<string, unknown>);
      return w.finish();
    },
    decode(buf) {
      const out: Record<string, unknown> = {};
      for (const [k, f] of entries) out[k] = defaultOf(f);
      const r = new Reader(buf);
      while (r.pos < r.end) {
        const key = r.varint();
        const no = Math.floor(key / 8);
        const wire = key & 7;
        const hit = byNo.get(no);
        if (!hit) {
          r.skip(wire);
          continue;
        }
        const [k, f] = hit;
        const t = f.type;
        if (typeof t !== 'string') {
          if (wire !== WIRE_LEN) throw invalidArgument(`protobuf: ${name}.${k}: wire type ${wire}, want 2`);
          const v = t.decode(r.bytes());
          if (f.repeated) (out[k] as unknown[]).push(v);
          else out[k] = v;
          continue;
        }
        const want = wireType(t);
        if (f.repeated && wire === WIRE_LEN && want !== WIRE_LEN) {
          const sub = new Reader(r.bytes());
          while (sub.pos < sub.end) (out[k] as unknown[]).push(readScalar(sub, t));
          continue;
        }
        if (wire !== want) throw invalidArgument(`protobuf: ${name}.${k}: wire type ${wire}, want ${want}`);
        const v = readScalar(r, t);
        if (f.repeated) (out[k] as unknown[]).push(v);
        else out[k] = v;
      }
      return out as T;
    },
  };
  return codec;
}

// ---- well-known types -------------------------------------------------------------------

export interface Timestamp {
  seconds: number;
  nanos: number;
}
export const TimestampCodec = message<Timestamp>('google.protobuf.Timestamp', {
  seconds: { no: 1, type: 'int64' },
  nanos: { no: 2, type: 'int32' },
});

export function timestampFromDate(d: Date): Timestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Go's zero time.Time (0001-01-01T00:00:00Z), which gogo writes for "never". */
export const GO_ZERO_SECONDS = -62135596800;

/** undefined for an absent timestamp or Go's zero time. */
export function dateFromTimestamp(ts: Timestamp | undefined): Date | undefined {
  if (!ts || (ts.seconds === GO_ZERO_SECONDS && ts.nanos === 0) || (ts.seconds === 0 && ts.nanos === 0))
    return undefined;
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1_000_000));
}

export interface Any {
  typeUrl: string;
  value: Uint8Array;
}
export const AnyCodec = message<Any>('google.protobuf.Any', {
  typeUrl: { no: 1, type: 'string' },
  value: { no: 2, type: 'bytes' },
});

export type Empty = Record<string, never>;
export const EmptyCodec = message<Empty>('google.protobuf.Empty', {});

export function anyOf<T extends object>(typeUrl: string, codec: MessageCodec<T>, value: Partial<T>): Any {
  return { typeUrl, value: codec.encode(value) };
}

export function anyJSON(typeUrl: string, value: unknown): Any {
  return { typeUrl, value: utf8.encode(JSON.stringify(value)) };
}
