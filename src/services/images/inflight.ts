// Work shared between concurrent pulls, and the leases that keep it from garbage
// collection. join(): the first caller starts the work with its own AbortController;
// later callers wait on the same promise; the work is aborted only when every caller
// has gone. Leases are a multiset of content digests and chain IDs that gc must skip.
import type { Digest } from '../../common/digest.ts';

interface Entry<T> {
  promise: Promise<T>;
  refs: number;
  ctl: AbortController;
  listeners: Set<(n: number) => void>;
}

export class Inflight<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** The shared work itself while it runs (not tied to any caller's signal). */
  work(key: string): Promise<T> | undefined {
    return this.entries.get(key)?.promise;
  }

  async join(
    key: string,
    signal: AbortSignal,
    start: (signal: AbortSignal, progress: (n: number) => void) => Promise<T>,
    onProgress?: (n: number) => void,
  ): Promise<T> {
    let e = this.entries.get(key);
    if (!e) {
      const ctl = new AbortController();
      const listeners = new Set<(n: number) => void>();
      const promise = start(ctl.signal, (n) => {
        for (const l of listeners) l(n);
      });
      const entry: Entry<T> = { promise, refs: 0, ctl, listeners };
      e = entry;
      this.entries.set(key, e);
      promise.then(
        () => this.entries.delete(key),
        () => this.entries.delete(key),
      );
    }
    const entry = e;
    entry.refs++;
    if (onProgress) entry.listeners.add(onProgress);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_r, reject) => {
      onAbort = () => reject(signal.reason ?? new Error('aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    try {
      return await Promise.race([entry.promise, aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (onProgress) entry.listeners.delete(onProgress);
      if (--entry.refs === 0 && signal.aborted) entry.ctl.abort(signal.reason);
    }
  }
}

export class Leases {
  private readonly held = new Map<string, number>();

  /** Protects `keys` until the returned release is called. */
  take(keys: Iterable<Digest>): () => void {
    const mine = [...keys];
    for (const k of mine) this.held.set(k, (this.held.get(k) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of mine) {
        const n = (this.held.get(k) ?? 1) - 1;
        if (n <= 0) this.held.delete(k);
        else this.held.set(k, n);
      }
    };
  }

  has(k: Digest): boolean {
    return this.held.has(k);
  }
}

/** A bounded worker pool: at most `n` of the started tasks run at once. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
