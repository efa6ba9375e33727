// Timers for delays past what Node's setTimeout takes: a delay over 2^31-1 ms (~24.8 days)
// fires after 1 ms there, so `stop -t <huge>` would kill at once. Long delays are chained.

/** The longest delay one setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` after `ms` (any size; Infinity never fires); returns the cancel function. */
export function setLongTimeout(fn: () => void, ms: number, opts: { unref?: boolean } = {}): () => void {
  let timer: NodeJS.Timeout | undefined;
  let left = ms;
  const arm = () => {
    if (left === Infinity) return;
    const step = Math.min(Math.max(left, 0), MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(left > 0 ? arm : fn, step);
    if (opts.unref) timer.unref();
  };
  arm();
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
