// Per-key async mutex: serialises operations on one object (a container, a name, a ref)
// inside the single berthd process. Never hold one across an unbounded wait.
export class KeyedMutex {
  private tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Waits for `key` and returns its release, for a hold that outlives one call. A waiter
   * whose `signal` aborts stops waiting (and throws); its place passes on when it comes.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let open!: () => void;
    const mine = new Promise<void>((r) => (open = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      open();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    if (!signal) {
      await prev;
      return release;
    }
    signal.throwIfAborted();
    let onAbort!: () => void;
    const aborted = new Promise<'aborted'>((r) => {
      onAbort = () => r('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const got = await Promise.race([prev.then(() => 'ok' as const), aborted]);
    signal.removeEventListener('abort', onAbort);
    if (got === 'aborted') {
      void prev.then(release);
      signal.throwIfAborted();
    }
    return release;
  }
}
