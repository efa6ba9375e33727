// Delivery modes every driver shares (dockerd's builtin options). blocking (the default):
// the copier waits for the driver, so a slow sink slows the container — never berthd.
// non-blocking: messages queue in a ring of max-buffer-size bytes (default 1 MB) drained
// by the driver in order; when the ring is full a message is dropped and counted, so the
// container and berthd never wait on the sink and memory stays bounded.
import { invalidArgument } from '../common/errors.ts';
import type { CopierMessage } from './copier.ts';
import { type DriverContext, type LogDriver, RateLimitedWarning } from './driver.ts';
import { ramInBytes } from '../common/go-values.ts';

export const DEFAULT_RING_BYTES = 1e6;
/** How long close() lets a ring drain into a driver before dropping the rest. */
const CLOSE_DRAIN_MS = 5000;

/** dockerd's checks of `mode` and `max-buffer-size`, before any driver's own. */
export function validateMode(opts: Record<string, string>): void {
  const mode = opts.mode ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking')
    throw invalidArgument(`logger: logging mode not supported: ${mode}`);
  const size = opts['max-buffer-size'];
  if (size !== undefined) {
    if (mode !== 'non-blocking')
      throw invalidArgument("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    try {
      ramInBytes(size);
    } catch (err) {
      throw invalidArgument(`error parsing option max-buffer-size: ${(err as Error).message}`);
    }
  }
}

export const isNonBlocking = (opts: Record<string, string>) => opts.mode === 'non-blocking';

export const ringBytes = (opts: Record<string, string>) =>
  opts['max-buffer-size'] !== undefined ? ramInBytes(opts['max-buffer-size']) : DEFAULT_RING_BYTES;

/** Wraps a driver in a bounded ring; the handler it returns never makes the copier wait. */
export function withRing(inner: LogDriver, maxBytes: number, ctx: DriverContext, what: string): RingDriver {
  return new RingDriver(inner, maxBytes, ctx, what);
}

export class RingDriver implements LogDriver {
  readonly #inner: LogDriver;
  readonly #max: number;
  readonly #queue: CopierMessage[] = [];
  #head = 0;
  #bytes = 0;
  #pumping: Promise<void> | undefined;
  #closed = false;
  readonly #drops: RateLimitedWarning;
  readonly #what: string;

  constructor(inner: LogDriver, maxBytes: number, ctx: DriverContext, what: string) {
    this.#inner = inner;
    this.#max = maxBytes;
    this.#drops = new RateLimitedWarning(ctx.warn);
    this.#what = what;
  }

  /** Messages dropped because the ring was full (or closed). */
  get dropped(): number {
    return this.#drops.total;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  readonly handler = (msg: CopierMessage): void => {
    const size = msg.line.length;
    // As dockerd's ring: a message that does not fit is dropped unless the ring is empty.
    if (this.#closed || (this.#bytes + size > this.#max && this.#queue.length - this.#head > 0)) {
      this.#drops.drop(1, 'log messages dropped: the non-blocking buffer is full', {
        driver: this.#what,
        maxBufferSize: this.#max,
      });
      return;
    }
    this.#queue.push(msg);
    this.#bytes += size;
    this.#pumping ??= this.#pump().finally(() => (this.#pumping = undefined));
  };

  async #pump(): Promise<void> {
    while (this.#head < this.#queue.length) {
      const msg = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined as unknown as CopierMessage;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      try {
        await this.#inner.handler(msg);
      } catch {
        /* handlers do not reject; nothing to do if one does */
      }
      this.#bytes -= msg.line.length;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pumping) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => (timer = setTimeout(r, CLOSE_DRAIN_MS)));
      await Promise.race([this.#pumping, late]);
      clearTimeout(timer);
      const left = this.#queue.length - this.#head;
      if (left > 0) {
        this.#queue.length = 0;
        this.#head = 0;
        this.#drops.drop(left, 'log messages dropped: the driver did not take them before the container ended', {
          driver: this.#what,
        });
      }
    }
    // The run's total, once, whatever the rate limit let through before.
    if (this.#drops.total > 0)
      this.#drops.summary('log messages dropped during this run (mode=non-blocking)', { driver: this.#what });
    await this.#inner.close();
  }
}
