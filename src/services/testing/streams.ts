// Stream helpers the conformance suites share: read everything a stream carries, or wait
// until it has carried some text. Both wait on the stream, never on a clock.
import type { Readable } from 'node:stream';

export interface Capture {
  /** Everything read so far. */
  text(): string;
  /** Resolves with all the text once the stream has ended (or closed). */
  readonly done: Promise<string>;
  /** Resolves once the text read so far includes `s`; rejects if the stream ends first. */
  includes(s: string): Promise<string>;
}

/** Starts reading a stream at once (so a producer never blocks on it). */
export function capture(stream: Readable): Capture {
  let text = '';
  let ended = false;
  const waiters: { s: string; resolve: (t: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (text.includes(w.s)) w.resolve(text);
      else if (ended)
        w.reject(new Error(`stream ended without ${JSON.stringify(w.s)}; it carried ${JSON.stringify(text)}`));
      else continue;
      waiters.splice(waiters.indexOf(w), 1);
    }
  };
  const done = new Promise<string>((resolve) => {
    const finish = () => {
      if (ended) return;
      ended = true;
      check();
      resolve(text);
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
  stream.on('data', (b: Buffer | string) => {
    text += b.toString();
    check();
  });
  return {
    text: () => text,
    done,
    includes: (s) =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ s, resolve, reject });
        check();
      }),
  };
}
