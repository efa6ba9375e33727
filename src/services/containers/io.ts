// Live stdio of one container, independent of any single task: attach clients subscribe
// before start and stay across restarts; stdin from one client feeds the container.
import type { Writable } from 'node:stream';
import { frame, STDERR, STDOUT } from '../../common/stdcopy.ts';

export interface OutputSink {
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(): void;
  once(event: 'drain' | 'close', fn: () => void): unknown;
  off(event: 'drain' | 'close', fn: () => void): unknown;
  readonly writableLength: number;
}

interface Subscriber {
  sink: OutputSink;
  stdout: boolean;
  stderr: boolean;
  framed: boolean;
}

// A subscriber that reads slower than the container writes holds the container's output
// back (as with Docker: nothing is dropped) once this much waits for it; one that makes no
// progress for STALL_MS is dropped, so a stuck client cannot hold a container forever.
const SUBSCRIBER_HWM = 1 << 20;
const STALL_MS = 30_000;
// Stdin sent before the task started.
const MAX_BUFFERED = 8 << 20;

export class ContainerIo {
  private readonly subscribers = new Set<Subscriber>();
  private stdin: Writable | null = null;
  private closeTaskStdin: (() => Promise<void>) | undefined;
  private pendingStdin: Buffer[] = [];
  private stdinEnded = false;

  subscribe(sink: OutputSink, opts: { stdout: boolean; stderr: boolean; framed: boolean }): () => void {
    const s: Subscriber = { sink, ...opts };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get attachedCount(): number {
    return this.subscribers.size;
  }

  /**
   * Hands a chunk to every subscriber. Returns a promise when one of them is behind: the
   * caller stops reading the container's output until it settles.
   */
  deliver(stream: 'stdout' | 'stderr', chunk: Buffer): Promise<void> | undefined {
    let slow: Promise<void>[] | undefined;
    for (const s of this.subscribers) {
      if (stream === 'stdout' ? !s.stdout : !s.stderr) continue;
      s.sink.write(s.framed ? frame(stream === 'stdout' ? STDOUT : STDERR, chunk) : chunk);
      if (s.sink.writableLength > SUBSCRIBER_HWM) (slow ??= []).push(this.caughtUp(s));
    }
    return slow && Promise.all(slow).then(() => undefined);
  }

  /** Resolves when `s` drained, went away, or stalled too long (then it is dropped). */
  private caughtUp(s: Subscriber): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        s.sink.off('drain', done);
        s.sink.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.subscribers.delete(s);
        s.sink.destroy();
        done();
      }, STALL_MS);
      s.sink.once('drain', done);
      s.sink.once('close', done);
    });
  }

  /** Ends every subscriber's stream: the container's output is over. */
  endAll(): void {
    for (const s of this.subscribers) s.sink.end();
    this.subscribers.clear();
  }

  /** Connects the running task's stdin; flushes what clients sent before start. */
  connectStdin(w: Writable | null, closeTaskStdin?: () => Promise<void>): void {
    this.stdin = w;
    this.closeTaskStdin = closeTaskStdin;
    if (!w) return;
    for (const b of this.pendingStdin) w.write(b);
    this.pendingStdin = [];
    if (this.stdinEnded) this.finishStdin();
  }

  writeStdin(b: Buffer): void {
    if (this.stdin) this.stdin.write(b);
    else if (this.pendingStdin.reduce((n, x) => n + x.length, 0) < MAX_BUFFERED) this.pendingStdin.push(b);
  }

  /** The attached client closed its stdin (StdinOnce): the container's stdin closes too. */
  endStdin(): void {
    this.stdinEnded = true;
    this.finishStdin();
  }

  /** Flushes and closes our writer, then has the shim close its end (CloseIO): EOF in the container. */
  private finishStdin(): void {
    const w = this.stdin;
    const close = this.closeTaskStdin;
    if (!w || w.destroyed) return;
    w.end(() => {
      w.destroy();
      void close?.().catch(() => {});
    });
  }

  resetStdin(): void {
    this.stdin = null;
    this.closeTaskStdin = undefined;
    this.stdinEnded = false;
    this.pendingStdin = [];
  }
}
