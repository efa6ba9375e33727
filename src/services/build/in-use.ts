// Images running builds rely on (bases, cache hits, steps just made): builder prune and
// system df treat them as in use, so a prune never removes a parent a build is about to
// stack on. Counted, since two builds may share an image.
export class ImagesInUse {
  private readonly counts = new Map<string, number>();

  has(id: string): boolean {
    return (this.counts.get(id) ?? 0) > 0;
  }

  /** One build's holds; release() lets go of all of them. */
  track(): { add(id: string | undefined): void; release(): void } {
    const mine = new Set<string>();
    return {
      add: (id) => {
        if (!id || mine.has(id)) return;
        mine.add(id);
        this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      },
      release: () => {
        for (const id of mine) {
          const n = (this.counts.get(id) ?? 1) - 1;
          if (n > 0) this.counts.set(id, n);
          else this.counts.delete(id);
        }
        mine.clear();
      },
    };
  }
}
