// Waiting for a writable to take more: its 'drain', or its end ('close') so a writer never
// waits on a stream that is gone.
import type { Writable } from 'node:stream';

export function whenDrained(w: Writable, cb: () => void): void {
  if (w.destroyed || !w.writableNeedDrain) {
    cb();
    return;
  }
  const done = () => {
    w.off('drain', done);
    w.off('close', done);
    cb();
  };
  w.on('drain', done);
  w.on('close', done);
}
