// The server side of RFC 6455 for /containers/{id}/attach/ws: the handshake on an upgraded
// connection and a Duplex whose writes leave as one frame each (binary from API 1.28, text
// before, as dockerd) and whose reads are the payloads of the client's data frames.
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { invalidArgument } from '../common/errors.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_FRAME = 16 << 20;

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Encodes one unmasked server frame. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, n])
      : n < 65536
        ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
        : (() => {
            const b = Buffer.alloc(10);
            b[0] = 0x80 | opcode;
            b[1] = 127;
            b.writeBigUInt64BE(BigInt(n), 2);
            return b;
          })();
  return Buffer.concat([head, payload]);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Incremental decoder of (masked or not) frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME)) throw invalidArgument('websocket frame too large');
        len = Number(big);
        off = 10;
      }
      if (len > MAX_FRAME) throw invalidArgument('websocket frame too large');
      const maskOff = off;
      if (masked) off += 4;
      if (b.length < off + len) break;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= b[maskOff + (i & 3)];
      out.push({ fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload });
      this.buf = b.subarray(off + len);
    }
    return out;
  }
}

/** Completes the handshake on `socket` (already upgraded) and returns the message stream. */
export function acceptWebSocket(
  socket: Duplex,
  head: Buffer,
  headers: Record<string, string | string[] | undefined>,
  binary: boolean,
): Duplex {
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !key) throw invalidArgument('missing Sec-WebSocket-Key');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  const opcode = binary ? 2 : 1;
  const reader = new FrameReader();
  let closed = false;
  const ws = new Duplex({
    allowHalfOpen: false,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (socket.destroyed) return cb();
      if (socket.write(encodeFrame(opcode, chunk))) cb();
      else socket.once('drain', () => cb());
    },
    final(cb) {
      if (!closed && !socket.destroyed) {
        closed = true;
        socket.end(encodeFrame(8, Buffer.from([0x03, 0xe8])));
      }
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  const onData = (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = reader.push(chunk);
    } catch (err) {
      ws.destroy(err as Error);
      return;
    }
    for (const f of frames) {
      if (f.opcode === 8) {
        if (!closed) {
          closed = true;
          socket.end(encodeFrame(8, f.payload.subarray(0, 2)));
        }
        ws.push(null);
        return;
      }
      if (f.opcode === 9) {
        socket.write(encodeFrame(10, f.payload));
        continue;
      }
      if (f.opcode === 10) continue;
      if (!ws.push(f.payload)) socket.pause();
    }
  };
  socket.on('data', onData);
  socket.on('end', () => ws.push(null));
  socket.on('close', () => ws.destroy());
  socket.on('error', (err) => ws.destroy(err));
  if (head.length) onData(head);
  return ws;
}
