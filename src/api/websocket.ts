// The server side of RFC 6455 for /containers/{id}/attach/ws (the framing is
// common/websocket's): the handshake on an upgraded connection and a Duplex whose writes
// leave as one frame each (binary from API 1.28, text before, as dockerd) and whose reads
// are the payloads of the client's data frames.
import { Duplex } from 'node:stream';
import { invalidArgument } from '../common/errors.ts';
import { acceptKey, encodeFrame, type Frame, FrameParser } from '../common/websocket/frames.ts';

const MAX_FRAME = 16 << 20;

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
  const reader = new FrameParser({ maxPayload: MAX_FRAME });
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
