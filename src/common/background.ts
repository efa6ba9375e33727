// Work that finishes after the request that started it (a container's teardown after an
// auto-removal). Tracked, so shutdown can wait for it instead of cutting it off midway.
export class Background {
  private readonly pending = new Set<Promise<unknown>>();

  track(p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  /** Waits for everything tracked so far, at most `timeoutMs`. */
  async drain(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.pending]), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
