// SPDY/3.1 framing (the protocol kubelet's streaming clients speak after `Upgrade: SPDY/3.1`):
// an incremental frame parser and the encoders for the frames a server sends. Header blocks
// are decoded with a zlib inflater primed with the SPDY dictionary (one per connection, as
// the peer's compressor is one stream); the ones we send are zlib *stored* blocks ending
// each header block on a byte boundary — a valid stream for the peer's inflater that needs
// no dictionary and no asynchronous compressor.
import { invalidArgument } from '../../common/errors.ts';

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6 } as const;

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; payload: Buffer };

/** Larger frames are refused: nothing our peers send comes near it. */
const MAX_FRAME = 1 << 24;

/** Splits a byte stream into frames; feed() returns the complete ones. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (len >= MAX_FRAME) throw invalidArgument(`SPDY frame of ${len} bytes`);
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4];
      const body = this.buf.subarray(8, 8 + len);
      if (this.buf[0] & 0x80) {
        const version = this.buf.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) throw invalidArgument(`SPDY version ${version} is not supported`);
        out.push({ kind: 'control', type: this.buf.readUInt16BE(2), flags, payload: Buffer.from(body) });
      } else {
        out.push({ kind: 'data', streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data: Buffer.from(body) });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(data.length, 4);
  head[4] = fin ? FLAG_FIN : 0;
  return data.length ? Buffer.concat([head, data]) : head;
}

const u32 = (...vals: number[]) => {
  const b = Buffer.alloc(4 * vals.length);
  for (const [i, v] of vals.entries()) b.writeUInt32BE(v >>> 0, 4 * i);
  return b;
};

export const synReplyFrame = (streamId: number, block: Buffer, fin: boolean): Buffer =>
  control(FrameType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([u32(streamId), block]));
export const rstStreamFrame = (streamId: number, status: number): Buffer =>
  control(FrameType.RstStream, 0, u32(streamId, status));
export const pingFrame = (id: number): Buffer => control(FrameType.Ping, 0, u32(id));
export const goAwayFrame = (lastGoodStreamId: number, status = 0): Buffer =>
  control(FrameType.GoAway, 0, u32(lastGoodStreamId, status));

/** The name/value block before compression: lower-case names, values joined by NUL. */
export function encodeHeaders(headers: Record<string, string | string[]>): Buffer {
  const parts: Buffer[] = [u32(Object.keys(headers).length)];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaders(raw: Buffer): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  let off = 0;
  const need = (n: number) => {
    if (off + n > raw.length) throw invalidArgument('truncated SPDY header block');
  };
  need(4);
  const count = raw.readUInt32BE(off);
  off += 4;
  if (count > 1024) throw invalidArgument(`SPDY header block with ${count} headers`);
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = raw.readUInt32BE(off);
    off += 4;
    need(nl);
    const name = raw.toString('utf8', off, off + nl).toLowerCase();
    off += nl;
    need(4);
    const vl = raw.readUInt32BE(off);
    off += 4;
    need(vl);
    (out[name] ??= []).push(...raw.toString('utf8', off, off + vl).split('\0'));
    off += vl;
  }
  return out;
}

/**
 * The sending side of header compression: a zlib stream (header 0x78 0x01, no dictionary)
 * whose blocks are stored, non-final deflate blocks; the first block carries the zlib header.
 * Each header block ends with an empty stored block, as a zlib sync flush does: an inflater
 * (Go's flate) hands a stored block's bytes on only when it reads the next block's header.
 */
export class HeaderWriter {
  private started = false;

  compress(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    for (let off = 0; off < raw.length; off += 0xffff) parts.push(...stored(raw.subarray(off, off + 0xffff)));
    parts.push(...stored(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** A stored, non-final deflate block: BFINAL=0 BTYPE=00 padded to the byte, LEN, NLEN, data. */
function stored(chunk: Buffer): Buffer[] {
  const head = Buffer.alloc(5);
  head.writeUInt16LE(chunk.length, 1);
  head.writeUInt16LE(~chunk.length & 0xffff, 3);
  return [head, chunk];
}
