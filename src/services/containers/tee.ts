// Splits a task's output stream between live attach clients and the log copier, with
// backpressure from both: a slow log disk or an attach client that is behind pauses the
// FIFO, the pipe fills, the container blocks — Docker's blocking mode (io.ts bounds how
// long a stuck client may do that).
//
// Fairness: one chunk per turn of the event loop. A container writing as fast as it can
// (`yes`) would otherwise have its FIFO read dozens of times per poll, with every line
// handled in between, and starve the API and every other container's I/O.
import { PassThrough, type Readable } from 'node:stream';

export function teeOutput(src: Readable, onChunk: (c: Buffer) => Promise<void> | undefined | void): Readable {
  const toLog = new PassThrough({ highWaterMark: 1 << 20 });
  let waiting = 0; // reasons to stay paused: the next loop turn, the log's drain
  const resume = () => {
    if (--waiting === 0) src.resume();
  };
  src.on('data', (c: Buffer) => {
    const behind = onChunk(c);
    if (behind) {
      waiting++;
      void behind.then(resume);
    }
    waiting++;
    src.pause();
    setImmediate(resume);
    if (!toLog.write(c)) {
      waiting++;
      toLog.once('drain', resume);
    }
  });
  src.once('end', () => toLog.end());
  src.once('error', () => toLog.end());
  src.once('close', () => {
    if (!toLog.writableEnded) toLog.end();
  });
  return toLog;
}
