// Docker's multiplexed stdio framing: an 8-byte header per frame —
// byte 0 = stream (0 stdin, 1 stdout, 2 stderr, 3 systemerr), bytes 1-3 zero,
// bytes 4-7 big-endian payload length — then the payload.

export type StreamId = 0 | 1 | 2 | 3;

export interface Demuxer {
  /** Feed bytes as they arrive; complete frames are delivered to the callback. */
  push(chunk: Buffer): void;
  /** Bytes of an unfinished frame still held (0 after a clean end). */
  pending(): number;
}

export function createDemuxer(onFrame: (stream: StreamId, payload: Buffer) => void): Demuxer {
  let buf: Buffer = Buffer.alloc(0);
  return {
    push(chunk: Buffer) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= 8) {
        const size = buf.readUInt32BE(off + 4);
        if (buf.length - off - 8 < size) break;
        const stream = buf[off] as StreamId;
        const payload = buf.subarray(off + 8, off + 8 + size);
        off += 8 + size;
        if (stream > 3) throw new Error(`Unrecognized input header: ${stream}`);
        onFrame(stream, payload);
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    },
    pending() {
      return buf.length;
    },
  };
}

/** Encode one frame (used by tests and fake daemons). */
export function frame(stream: StreamId, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

export interface Sink {
  write(data: Buffer): unknown;
}

/**
 * Copy a multiplexed stream to stdout/stderr until it ends. Frames on the
 * systemerr stream (3) reject with their text, as Docker's StdCopy does.
 */
export async function stdCopy(
  src: AsyncIterable<Buffer | string>,
  stdout: Sink | null,
  stderr: Sink | null,
): Promise<void> {
  let sysErr: string | undefined;
  const demux = createDemuxer((stream, payload) => {
    if (stream === 1 || stream === 0) stdout?.write(payload);
    else if (stream === 2) stderr?.write(payload);
    else sysErr = (sysErr ?? '') + payload.toString('utf8');
  });
  for await (const chunk of src) {
    demux.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (sysErr !== undefined) throw new Error(`error from daemon in stream: ${sysErr}`);
  }
}
