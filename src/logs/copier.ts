// Copier: turns a container's stdout/stderr byte streams (the shim's FIFOs) into log messages,
// the way dockerd's daemon/logger/copier.go does.
//
// Lifecycle: startCopier() begins reading both streams at once. Each '\n'-terminated line
// becomes one message (the newline is not part of msg.line; see messageBytes). A line that
// reaches bufSize (16 KiB, dockerd's defaultBufSize) without a newline is emitted in bufSize
// partial chunks that share one partial id and the first chunk's timestamp; the chunk that
// finally ends with '\n' is marked last. At EOF a remainder without newline is emitted as a
// (non-last) partial, so the file holds exactly the bytes the container wrote. `done`
// resolves once both streams ended (or close() was called); it never rejects.
//
// Backpressure: handlers may return a promise; the copier awaits all promises returned for a
// chunk before reading the next chunk, so a slow disk or consumer stops the reads, the pipe
// fills and the container blocks (dockerd's default "blocking" mode). Memory per stream is
// bounded by bufSize plus one chunk of the source stream.

import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { nowNs } from './jsonlog.ts';
import type { LogRecord, StreamName } from './jsonlog.ts';

export const DEFAULT_BUF_SIZE = 16 * 1024;

export interface PartialMeta {
  /** 64 hex chars, shared by all chunks of one long line. */
  id: string;
  /** 1-based position of this chunk. */
  ordinal: number;
  /** True for the chunk that ends the line (its newline was seen). */
  last: boolean;
}

export interface CopierMessage {
  stream: StreamName;
  /** Bytes of the line without its terminating '\n'. */
  line: Buffer;
  timeNs: bigint;
  partial?: PartialMeta;
}

export type MessageHandler = (msg: CopierMessage) => void | Promise<void>;

/** Whether the record written for `msg` carries a trailing newline (dockerd's marshalMessage rule). */
export const endsLine = (msg: CopierMessage) => msg.partial === undefined || msg.partial.last;

/** The exact bytes the container wrote for this message (line plus '\n' unless a non-last partial). */
export function messageBytes(msg: CopierMessage): Buffer {
  return endsLine(msg) ? Buffer.concat([msg.line, NL]) : msg.line;
}

/** The json-file record for a message. */
export function toRecord(msg: CopierMessage): LogRecord {
  return { stream: msg.stream, line: messageBytes(msg), timeNs: msg.timeNs };
}

const NL = Buffer.from('\n');

export interface CopierOptions {
  stdout?: Readable | null;
  stderr?: Readable | null;
  /** Initial handler(s), e.g. the json-file writer. More can be added with subscribe(). */
  onMessage?: MessageHandler | MessageHandler[];
  /** Read errors and handler failures (never thrown). */
  onError?: (err: unknown, stream: StreamName) => void;
  bufSize?: number;
  now?: () => bigint;
}

export interface Copier {
  /** Resolves when both streams reached EOF (after their last message was handled) or close() was called. */
  readonly done: Promise<void>;
  /** Add a live subscriber (attach); returns its unsubscribe function. */
  subscribe(handler: MessageHandler): () => void;
  /** Stop copying now: no more messages; the source streams are destroyed. Idempotent. */
  close(): void;
}

export function startCopier(opts: CopierOptions): Copier {
  const handlers = new Set<MessageHandler>(
    opts.onMessage === undefined ? [] : Array.isArray(opts.onMessage) ? opts.onMessage : [opts.onMessage],
  );
  const bufSize = opts.bufSize ?? DEFAULT_BUF_SIZE;
  const now = opts.now ?? nowNs;
  const onError = opts.onError ?? (() => {});
  let closed = false;
  const sources: Readable[] = [];

  const deliver = (msg: CopierMessage, pending: Promise<void>[]) => {
    for (const h of handlers) {
      try {
        const r = h(msg);
        if (r && typeof (r as Promise<void>).then === 'function' && r !== pending.at(-1)) pending.push(r);
      } catch (err) {
        onError(err, msg.stream);
      }
    }
  };

  const settle = async (pending: Promise<void>[], stream: StreamName) => {
    for (const r of await Promise.allSettled(pending)) if (r.status === 'rejected') onError(r.reason, stream);
  };

  async function copy(stream: StreamName, src: Readable): Promise<void> {
    sources.push(src);
    const buf = Buffer.allocUnsafe(bufSize);
    let n = 0;
    let partialId = '';
    let partialTs = 0n;
    let ordinal = 0;

    const emitLine = (start: number, end: number, pending: Promise<void>[]) => {
      const msg: CopierMessage = { stream, line: Buffer.from(buf.subarray(start, end)), timeNs: 0n };
      if (partialId) {
        msg.partial = { id: partialId, ordinal, last: true };
        msg.timeNs = partialTs;
        partialId = '';
        ordinal = 0;
      } else {
        msg.timeNs = now();
      }
      deliver(msg, pending);
    };
    const emitPartial = (end: number, pending: Promise<void>[]) => {
      if (!partialId) {
        partialId = randomBytes(32).toString('hex');
        partialTs = now();
        ordinal = 1;
      }
      deliver(
        {
          stream,
          line: Buffer.from(buf.subarray(0, end)),
          timeNs: partialTs,
          partial: { id: partialId, ordinal: ordinal++, last: false },
        },
        pending,
      );
    };

    try {
      for await (const raw of src) {
        if (closed) return;
        const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : raw;
        const pending: Promise<void>[] = [];
        let off = 0;
        while (off < chunk.length) {
          const take = Math.min(bufSize - n, chunk.length - off);
          chunk.copy(buf, n, off, off + take);
          n += take;
          off += take;
          const view = buf.subarray(0, n);
          let p = 0;
          for (let q = view.indexOf(0x0a); q >= 0; q = view.indexOf(0x0a, p)) {
            emitLine(p, q, pending);
            p = q + 1;
          }
          if (p > 0) {
            buf.copy(buf, 0, p, n);
            n -= p;
          } else if (n === bufSize) {
            emitPartial(n, pending);
            n = 0;
          }
        }
        if (pending.length) await settle(pending, stream);
      }
      if (!closed && n > 0) {
        const pending: Promise<void>[] = [];
        emitPartial(n, pending);
        await settle(pending, stream);
      }
    } catch (err) {
      if (!closed) onError(err, stream);
    }
  }

  const jobs: Promise<void>[] = [];
  if (opts.stdout) jobs.push(copy('stdout', opts.stdout));
  if (opts.stderr) jobs.push(copy('stderr', opts.stderr));
  let closeNow!: () => void;
  const closedP = new Promise<void>((r) => (closeNow = r));
  const done = Promise.race([Promise.all(jobs).then(() => {}), closedP]);

  return {
    done,
    subscribe(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const s of sources) s.destroy();
      closeNow();
    },
  };
}
