// Runs an idempotent async job so that callers never run it twice at once: a call while it
// runs shares the one run queued after it (which sees the caller's state), and further
// calls meanwhile share that same queued run.
export function coalesced(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const call = (): Promise<void> => {
    if (!running) {
      running = job().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined;
        return call();
      });
    return queued;
  };
  return call;
}
