// Splits a task's output stream between live attach clients (raw chunks, immediately) and
// the log copier (with backpressure: a slow log disk pauses the FIFO, the pipe fills, the
// container blocks — Docker's blocking mode; attach clients are never allowed to do that).
import { PassThrough, type Readable } from 'node:stream';

export function teeOutput(src: Readable, onChunk: (c: Buffer) => void): Readable {
  const toLog = new PassThrough({ highWaterMark: 1 << 20 });
  src.on('data', (c: Buffer) => {
    onChunk(c);
    if (!toLog.write(c)) {
      src.pause();
      toLog.once('drain', () => src.resume());
    }
  });
  src.once('end', () => toLog.end());
  src.once('error', () => toLog.end());
  src.once('close', () => { if (!toLog.writableEnded) toLog.end(); });
  return toLog;
}
