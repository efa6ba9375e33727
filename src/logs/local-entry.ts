// The local driver's record: dockerd's LogEntry protobuf (source, time_nano, line, partial,
// partial_log_metadata {last, id, ordinal}, attrs [{key, value}]) framed by its size as a
// big-endian uint32 before and after, so a file can be read forwards and backwards.
// Encoded by hand: time_nano needs all 64 bits, and the message is fixed and small.
import type { CopierMessage } from './copier.ts';
import type { LogRecord, StreamName } from './jsonlog.ts';

/** Frames larger than this are damage, not records (a line is at most 16 KiB, plus the attrs). */
export const MAX_FRAME = 2 << 20;

class ProtoWriter {
  readonly parts: Buffer[] = [];
  len = 0;
  #push(b: Buffer): void {
    this.parts.push(b);
    this.len += b.length;
  }
  varint(v: bigint | number): void {
    let n = BigInt(v);
    if (n < 0n) n = BigInt.asUintN(64, n);
    const out: number[] = [];
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) byte |= 0x80;
      out.push(byte);
    } while (n > 0n);
    this.#push(Buffer.from(out));
  }
  tag(no: number, wire: number): void {
    this.varint((no << 3) | wire);
  }
  bytes(no: number, b: Buffer): void {
    this.tag(no, 2);
    this.varint(b.length);
    this.#push(b);
  }
  string(no: number, s: string): void {
    if (s !== '') this.bytes(no, Buffer.from(s, 'utf8'));
  }
  finish(): Buffer {
    return Buffer.concat(this.parts, this.len);
  }
}

/** Pre-encodes the attrs shared by every record of a container (dockerd sorts them by key). */
export function encodeAttrsField(attrs: Record<string, string>): Buffer {
  const w = new ProtoWriter();
  for (const k of Object.keys(attrs).sort()) {
    const a = new ProtoWriter();
    a.string(1, k);
    a.string(2, attrs[k]);
    w.bytes(6, a.finish());
  }
  return w.finish();
}

/** One framed record for a copier message (its line without the newline, as dockerd stores it). */
export function encodeFrame(msg: CopierMessage, rawAttrs?: Buffer): Buffer {
  const w = new ProtoWriter();
  w.string(1, msg.stream);
  if (msg.timeNs !== 0n) {
    w.tag(2, 0);
    w.varint(msg.timeNs);
  }
  if (msg.line.length > 0) w.bytes(3, msg.line);
  if (msg.partial) {
    w.tag(4, 0);
    w.varint(1);
    const p = new ProtoWriter();
    if (msg.partial.last) {
      p.tag(1, 0);
      p.varint(1);
    }
    p.string(2, msg.partial.id);
    if (msg.partial.ordinal !== 0) {
      p.tag(3, 0);
      p.varint(msg.partial.ordinal);
    }
    w.bytes(5, p.finish());
  }
  const body = rawAttrs?.length ? Buffer.concat([w.finish(), rawAttrs]) : w.finish();
  const frame = Buffer.allocUnsafe(body.length + 8);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  frame.writeUInt32BE(body.length, body.length + 4);
  return frame;
}

class ProtoReader {
  pos = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length || shift > 63n) throw new Error('bad varint');
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new Error(`wire type ${wire}`);
  }
}

export interface LocalEntry {
  stream: StreamName;
  line: Buffer;
  timeNs: bigint;
  partial?: { last: boolean; id: string; ordinal: number };
  attrs?: Record<string, string>;
}

/** Decodes one LogEntry body; undefined when it is not one. */
export function decodeEntry(body: Buffer): LocalEntry | undefined {
  try {
    const r = new ProtoReader(body);
    const e: LocalEntry = { stream: 'stdout', line: Buffer.alloc(0), timeNs: 0n };
    let source = '';
    let partial = false;
    let meta: LocalEntry['partial'];
    while (!r.done) {
      const key = Number(r.varint());
      const no = key >>> 3;
      const wire = key & 7;
      if (no === 1 && wire === 2) source = r.bytes().toString('utf8');
      else if (no === 2 && wire === 0) e.timeNs = BigInt.asIntN(64, r.varint());
      else if (no === 3 && wire === 2) e.line = Buffer.from(r.bytes());
      else if (no === 4 && wire === 0) partial = r.varint() !== 0n;
      else if (no === 5 && wire === 2) meta = decodePartial(r.bytes());
      else if (no === 6 && wire === 2) {
        const [k, v] = decodeAttr(r.bytes());
        (e.attrs ??= {})[k] = v;
      } else r.skip(wire);
    }
    if (source !== 'stdout' && source !== 'stderr') return undefined;
    e.stream = source;
    if (partial) e.partial = meta ?? { last: false, id: '', ordinal: 0 };
    return e;
  } catch {
    return undefined;
  }
}

function decodePartial(b: Buffer): NonNullable<LocalEntry['partial']> {
  const r = new ProtoReader(b);
  const p = { last: false, id: '', ordinal: 0 };
  while (!r.done) {
    const key = Number(r.varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (no === 1 && wire === 0) p.last = r.varint() !== 0n;
    else if (no === 2 && wire === 2) p.id = r.bytes().toString('utf8');
    else if (no === 3 && wire === 0) p.ordinal = Number(BigInt.asIntN(32, r.varint()));
    else r.skip(wire);
  }
  return p;
}

function decodeAttr(b: Buffer): [string, string] {
  const r = new ProtoReader(b);
  let k = '';
  let v = '';
  while (!r.done) {
    const key = Number(r.varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (no === 1 && wire === 2) k = r.bytes().toString('utf8');
    else if (no === 2 && wire === 2) v = r.bytes().toString('utf8');
    else r.skip(wire);
  }
  return [k, v];
}

/** What `logs` shows for an entry: the line with its newline back, unless a non-final partial. */
export function entryToRecord(e: LocalEntry): LogRecord {
  const ends = !e.partial || e.partial.last;
  const rec: LogRecord = {
    stream: e.stream,
    line: ends ? Buffer.concat([e.line, Buffer.from('\n')]) : e.line,
    timeNs: e.timeNs,
  };
  if (e.attrs) rec.attrs = e.attrs;
  return rec;
}

/**
 * Streaming frame decoder. A frame whose trailing size disagrees with its leading one, or
 * whose body is not an entry, is damage: the decoder moves on one byte and looks again.
 */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);
  skipped = 0;

  push(chunk: Buffer): LogRecord[] {
    return this.#scan(this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk, false);
  }

  /** End of input: a frame that claims more bytes than are left is damage too. */
  end(): LogRecord[] {
    const out = this.#scan(this.#pending, true);
    if (this.#pending.length) this.skipped++;
    this.#pending = Buffer.alloc(0);
    return out;
  }

  #scan(buf: Buffer, final: boolean): LogRecord[] {
    const out: LogRecord[] = [];
    let off = 0;
    while (buf.length - off >= 8) {
      const size = buf.readUInt32BE(off);
      if (size > MAX_FRAME || (final && buf.length - off < size + 8)) {
        off++;
        this.skipped++;
        continue;
      }
      if (buf.length - off < size + 8) break; // the rest has not been written yet
      const body = buf.subarray(off + 4, off + 4 + size);
      const e = buf.readUInt32BE(off + 4 + size) === size ? decodeEntry(body) : undefined;
      if (!e) {
        off++;
        this.skipped++;
        continue;
      }
      out.push(entryToRecord(e));
      off += size + 8;
    }
    this.#pending = Buffer.from(buf.subarray(off));
    return out;
  }
}
