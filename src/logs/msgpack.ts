// The little of MessagePack the fluentd forward protocol needs: arrays, string maps,
// strings, integers and fluentd's EventTime extension (type 0: uint32 seconds, uint32
// nanoseconds), plus a decoder for the acks a server sends back ({"ack": "<chunk>"}).
export type MsgValue = string | number | bigint | boolean | null | MsgValue[] | { [k: string]: MsgValue } | EventTime;

export class EventTime {
  readonly sec: number;
  readonly nsec: number;
  constructor(timeNs: bigint) {
    this.sec = Number(timeNs / 1_000_000_000n);
    this.nsec = Number(timeNs % 1_000_000_000n);
  }
}

export function encode(v: MsgValue): Buffer {
  const parts: Buffer[] = [];
  write(v, parts);
  return Buffer.concat(parts);
}

function header(
  parts: Buffer[],
  small: number,
  smallMax: number,
  c8: number | undefined,
  c16: number,
  c32: number,
  n: number,
): void {
  if (n <= smallMax) parts.push(Buffer.from([small | n]));
  else if (c8 !== undefined && n <= 0xff) parts.push(Buffer.from([c8, n]));
  else if (n <= 0xffff) {
    const b = Buffer.alloc(3);
    b[0] = c16;
    b.writeUInt16BE(n, 1);
    parts.push(b);
  } else {
    const b = Buffer.alloc(5);
    b[0] = c32;
    b.writeUInt32BE(n, 1);
    parts.push(b);
  }
}

function write(v: MsgValue, parts: Buffer[]): void {
  if (v === null) parts.push(Buffer.from([0xc0]));
  else if (v === true || v === false) parts.push(Buffer.from([v ? 0xc3 : 0xc2]));
  else if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    header(parts, 0xa0, 31, 0xd9, 0xda, 0xdb, s.length);
    parts.push(s);
  } else if (typeof v === 'number' || typeof v === 'bigint') writeInt(BigInt(v), parts);
  else if (v instanceof EventTime) {
    const b = Buffer.alloc(10);
    b[0] = 0xd7; // fixext 8
    b[1] = 0; // extension type 0
    b.writeUInt32BE(v.sec >>> 0, 2);
    b.writeUInt32BE(v.nsec >>> 0, 6);
    parts.push(b);
  } else if (Array.isArray(v)) {
    header(parts, 0x90, 15, undefined, 0xdc, 0xdd, v.length);
    for (const x of v) write(x, parts);
  } else {
    const keys = Object.keys(v);
    header(parts, 0x80, 15, undefined, 0xde, 0xdf, keys.length);
    for (const k of keys) {
      write(k, parts);
      write(v[k], parts);
    }
  }
}

function writeInt(n: bigint, parts: Buffer[]): void {
  if (n >= 0n && n <= 0x7fn) parts.push(Buffer.from([Number(n)]));
  else if (n < 0n && n >= -32n) parts.push(Buffer.from([Number(n) & 0xff]));
  else if (n >= 0n && n <= 0xffffffffn) {
    const b = Buffer.alloc(5);
    b[0] = 0xce;
    b.writeUInt32BE(Number(n), 1);
    parts.push(b);
  } else {
    const b = Buffer.alloc(9);
    b[0] = 0xd3;
    b.writeBigInt64BE(n, 1);
    parts.push(b);
  }
}

/**
 * Decodes one value from the start of `buf`; [value, bytes used], or undefined while the
 * value is incomplete. Enough for maps of strings (acks) and what `encode` writes.
 */
export function decode(buf: Buffer, off = 0): [MsgValue, number] | undefined {
  const need = (n: number) => off + n <= buf.length;
  if (!need(1)) return undefined;
  const c = buf[off];
  const str = (len: number, at: number): [MsgValue, number] | undefined =>
    at + len <= buf.length ? [buf.toString('utf8', at, at + len), at + len - off] : undefined;
  const coll = (n: number, at: number, map: boolean): [MsgValue, number] | undefined => {
    let pos = at;
    const arr: MsgValue[] = [];
    const obj: Record<string, MsgValue> = {};
    for (let i = 0; i < n; i++) {
      const k = decode(buf, pos);
      if (!k) return undefined;
      pos += k[1];
      if (!map) {
        arr.push(k[0]);
        continue;
      }
      const v = decode(buf, pos);
      if (!v) return undefined;
      pos += v[1];
      obj[String(k[0])] = v[0];
    }
    return [map ? obj : arr, pos - off];
  };
  if (c <= 0x7f) return [c, 1];
  if (c >= 0xe0) return [c - 256, 1];
  if ((c & 0xe0) === 0xa0) return str(c & 0x1f, off + 1);
  if ((c & 0xf0) === 0x90) return coll(c & 0x0f, off + 1, false);
  if ((c & 0xf0) === 0x80) return coll(c & 0x0f, off + 1, true);
  switch (c) {
    case 0xc0:
      return [null, 1];
    case 0xc2:
      return [false, 1];
    case 0xc3:
      return [true, 1];
    case 0xd9:
      return need(2) ? str(buf[off + 1], off + 2) : undefined;
    case 0xda:
      return need(3) ? str(buf.readUInt16BE(off + 1), off + 3) : undefined;
    case 0xdb:
      return need(5) ? str(buf.readUInt32BE(off + 1), off + 5) : undefined;
    case 0xc4:
      return need(2) && need(2 + buf[off + 1])
        ? [buf.toString('latin1', off + 2, off + 2 + buf[off + 1]), 2 + buf[off + 1]]
        : undefined;
    case 0xcc:
      return need(2) ? [buf[off + 1], 2] : undefined;
    case 0xcd:
      return need(3) ? [buf.readUInt16BE(off + 1), 3] : undefined;
    case 0xce:
      return need(5) ? [buf.readUInt32BE(off + 1), 5] : undefined;
    case 0xcf:
      return need(9) ? [buf.readBigUInt64BE(off + 1), 9] : undefined;
    case 0xd3:
      return need(9) ? [buf.readBigInt64BE(off + 1), 9] : undefined;
    case 0xd7:
      return need(10)
        ? [new EventTime(BigInt(buf.readUInt32BE(off + 2)) * 1_000_000_000n + BigInt(buf.readUInt32BE(off + 6))), 10]
        : undefined;
    case 0xdc:
      return need(3) ? coll(buf.readUInt16BE(off + 1), off + 3, false) : undefined;
    case 0xdd:
      return need(5) ? coll(buf.readUInt32BE(off + 1), off + 5, false) : undefined;
    case 0xde:
      return need(3) ? coll(buf.readUInt16BE(off + 1), off + 3, true) : undefined;
    case 0xdf:
      return need(5) ? coll(buf.readUInt32BE(off + 1), off + 5, true) : undefined;
    default:
      throw new Error(`msgpack: unsupported type byte 0x${c.toString(16)}`);
  }
}
