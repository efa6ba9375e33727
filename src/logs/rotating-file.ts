// RotatingLogFile: appends encoded log records (json-file lines, local-driver frames) to a
// file with size-based rotation and, optionally, compression of the rotated files.
//
// Lifecycle: new RotatingLogFile(path, opts) opens (creates) the file synchronously, so a bad
// path fails at container start. append() queues one record and resolves once it is on disk
// or dropped — it never rejects and never throws: a full or failing disk must not crash berthd
// or stop the container. Records are written in call order, batched into few write(2) calls.
// close() flushes the queue, waits for a compression in progress, closes the file and resolves
// `closed` (readers in follow mode use it to know the container stopped). Appends after
// close() are dropped.
//
// Rotation (maxSize > 0): when the next record would push the current file past maxSize (and
// the file is not empty), files shift by rename — drop x.log.<maxFile-1>, x.log.<i-1> →
// x.log.<i>, x.log → x.log.1 — and a fresh x.log is created. Renames never disturb a reader
// holding one of the files open; readers detect the new inode and move on. With maxFile = 1
// the old file is unlinked instead. A record larger than maxSize gets a file of its own.
// With `compress`, x.log.1 is then gzipped in the background into x.log.1.gz (its header
// records the last record's time, gzip-file.ts) and the shifted names carry `.gz`; the next
// rotation waits for that compression, as dockerd's does.
//
// Failure (ENOSPC, EIO…): the records that did not fit are dropped and counted, a record cut
// short by a partial write is truncated away so readers never see half a JSON line, and one
// warning per warnIntervalMs goes to onWarning.

import fs from 'node:fs';
import { promisify } from 'node:util';
import { errnoCode, invalidArgument, messageOf } from '../common/errors.ts';
import { compressLogFile } from './gzip-file.ts';
import type { StreamName } from './jsonlog.ts';
import { withChainLock } from './chain-lock.ts';

const writeAsync = (fd: number, buf: Buffer, off: number, len: number) =>
  new Promise<number>((res, rej) => fs.write(fd, buf, off, len, null, (err, n) => (err ? rej(err) : res(n))));
const ftruncateAsync = promisify(fs.ftruncate);
const closeAsync = promisify(fs.close);

export interface RotatingLogFileOptions {
  /** Bytes per file; 0 or negative = unlimited (no rotation). */
  maxSize?: number;
  /** Total files kept, current included; ≥ 1. Default 1. */
  maxFile?: number;
  /** Mode for created files (umask applies). Default 0o640. */
  mode?: number;
  /** Gzip rotated files (x.log.1.gz …); needs maxFile ≥ 2 to have any effect. */
  compress?: boolean;
  /** Rate-limited warnings about dropped records and failed rotations. */
  onWarning?: (msg: string, fields: Record<string, unknown>) => void;
  /** Minimum interval between two warnings. Default 60 s. */
  warnIntervalMs?: number;
}

export interface WriterStats {
  /** Records on disk. */
  written: number;
  /** Records dropped because of write errors or because the writer was closed. */
  dropped: number;
  rotations: number;
  /** Size of the current file as the writer knows it. */
  currentSize: number;
}

/**
 * A task's durable output (runtime/spool.ts): the stream offsets logging resumes at, where
 * the log ended at the last commit, and the commit itself — called after every append, so
 * after a kill the log is cut back to the last commit and the rest is logged again, once.
 */
export interface DurableSink {
  readonly start: Readonly<Record<StreamName, number>>;
  readonly log: { inode: number; size: number } | undefined;
  commit(log: { inode: number; size: number }, ends: Partial<Record<StreamName, number>>): void;
}

/** Records queued together share one promise: resolved once all of them are on disk or dropped. */
interface Gen {
  promise: Promise<void>;
  resolve: () => void;
}

interface Pending {
  buf: Buffer;
  timeNs: bigint;
  gen: Gen;
  /** Stream offset just past this record's bytes (durable output). */
  end?: { stream: StreamName; at: number };
}

const MAX_BATCH_BYTES = 1 << 20;

export class RotatingLogFile {
  readonly path: string;
  readonly maxSize: number;
  readonly maxFile: number;
  readonly mode: number;
  readonly compress: boolean;
  /** Resolves once close() has flushed and closed the file. */
  readonly closed: Promise<void>;

  #fd: number;
  #size: number;
  #inode: number;
  #durable: DurableSink | undefined;
  #queue: Pending[] = [];
  #gen: Gen | undefined;
  #draining: Promise<void> | undefined;
  #closing = false;
  #resolveClosed!: () => void;
  #onWarning: RotatingLogFileOptions['onWarning'];
  #warnIntervalMs: number;
  #lastWarnAt = -Infinity;
  #droppedSinceWarn = 0;
  /** Set when a failed write may have left an unterminated line we could not truncate. */
  #needNewline = false;
  #stats = { written: 0, dropped: 0, rotations: 0 };
  /** Time of the last record written to the current file (the compressed header's lastTime). */
  #lastTimeNs: bigint | undefined;
  #compressing: Promise<void> | undefined;

  constructor(path: string, opts: RotatingLogFileOptions = {}) {
    const maxFile = opts.maxFile ?? 1;
    if (!Number.isInteger(maxFile) || maxFile < 1) throw invalidArgument('max-file cannot be less than 1');
    const maxSize = opts.maxSize ?? -1;
    if (!Number.isFinite(maxSize) && maxSize !== Infinity) throw invalidArgument('max-size must be a number');
    this.path = path;
    this.maxSize = maxSize > 0 && Number.isFinite(maxSize) ? Math.floor(maxSize) : -1;
    this.maxFile = maxFile;
    this.mode = opts.mode ?? 0o640;
    this.compress = Boolean(opts.compress) && maxFile >= 2;
    this.#onWarning = opts.onWarning;
    this.#warnIntervalMs = opts.warnIntervalMs ?? 60_000;
    this.#fd = fs.openSync(path, 'a', this.mode);
    const st = fs.fstatSync(this.#fd);
    this.#size = st.size;
    this.#inode = st.ino;
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  get stats(): WriterStats {
    return { ...this.#stats, currentSize: this.#size };
  }

  /**
   * Logs a task's durable output from here on: the file is cut back to the last commit (what
   * follows it is logged again from the spool) and every append is committed. Call before
   * the first append.
   */
  bindDurable(d: DurableSink): void {
    const last = d.log;
    if (last) {
      // Same file: anything past the commit was written by a berthd that died before
      // committing it. Another file: rotated after the commit, so all of it is uncommitted.
      const keep = last.inode === this.#inode ? Math.min(last.size, this.#size) : 0;
      if (keep < this.#size) {
        fs.ftruncateSync(this.#fd, keep);
        this.#size = keep;
      }
    }
    this.#durable = d;
  }

  /** Queue one encoded record. Resolves when it is written or dropped; never rejects. */
  append(buf: Buffer, timeNs: bigint, end?: { stream: StreamName; at: number }): Promise<void> {
    if (this.#closing) {
      this.#stats.dropped++;
      return Promise.resolve();
    }
    if (!this.#gen) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#gen = { promise, resolve };
    }
    const gen = this.#gen;
    this.#queue.push(end ? { buf, timeNs, gen, end } : { buf, timeNs, gen });
    this.#kick();
    return gen.promise;
  }

  /** Flush queued records, close the file, resolve `closed`. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      while (this.#draining) await this.#draining;
      await this.#compressing;
      try {
        await closeAsync(this.#fd);
      } catch {
        /* nothing left to do */
      }
      this.#resolveClosed();
    }
    return this.closed;
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const first = this.#queue[0].buf.length;
      if (this.maxSize > 0 && this.#size > 0 && this.#size + first > this.maxSize) await this.#rotate();
      const q = this.#queue;
      let take = 0;
      let total = 0;
      while (take < q.length) {
        const len = q[take].buf.length;
        if (
          take > 0 &&
          (total + len > MAX_BATCH_BYTES || (this.maxSize > 0 && this.#size + total + len > this.maxSize))
        )
          break;
        take++;
        total += len;
      }
      const batch = q.splice(0, take);
      if (this.#gen && batch.at(-1)!.gen === this.#gen) this.#gen = undefined; // later writes start a new gen
      await this.#writeBatch(batch);
      if (this.#durable) this.#commit(batch);
      const cont = this.#queue[0]?.gen;
      let last: Gen | undefined;
      for (const p of batch) {
        if (p.gen !== last && p.gen !== cont) p.gen.resolve();
        last = p.gen;
      }
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    const parts = batch.map((p) => p.buf);
    if (this.#needNewline) parts.unshift(Buffer.from('\n'));
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const lead = this.#needNewline ? 1 : 0;
    const before = this.#size;
    let written = 0;
    try {
      while (written < data.length) {
        const n = await writeAsync(this.#fd, data, written, data.length - written);
        if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        written += n;
      }
      this.#size += written;
      this.#needNewline = false;
      this.#stats.written += batch.length;
      this.#lastTimeNs = batch.at(-1)!.timeNs;
    } catch (err) {
      // Keep whole records only: the last record boundary inside what reached the file.
      let keep = 0;
      let kept = 0;
      if (written >= lead) {
        keep = lead;
        for (const p of batch) {
          if (keep + p.buf.length > written) break;
          keep += p.buf.length;
          kept++;
        }
      }
      let truncated = true;
      if (written > keep) {
        try {
          await ftruncateAsync(this.#fd, before + keep);
        } catch {
          truncated = false;
        }
      }
      if (truncated) {
        this.#size = before + keep;
        if (keep >= lead) this.#needNewline = false;
      } else {
        this.#size = before + written;
        this.#needNewline = true; // terminate the cut line on the next successful write
      }
      this.#stats.written += kept;
      this.#drop(batch.length - kept, err);
    }
  }

  /** Records what the log now holds (dropped records count: dockerd drops them too). */
  #commit(batch: Pending[]): void {
    const ends: Partial<Record<StreamName, number>> = {};
    for (const p of batch) if (p.end) ends[p.end.stream] = p.end.at;
    try {
      this.#durable!.commit({ inode: this.#inode, size: this.#size }, ends);
    } catch (err) {
      this.#warn('could not record the log position', { path: this.path, error: messageOf(err) });
    }
  }

  async #rotate(): Promise<void> {
    const p = this.path;
    // The previous rotation's x.log.1 must be compressed before the names shift again.
    await this.#compressing;
    const fd = await withChainLock(p, () => this.#shift());
    if (fd === undefined) return;
    const old = this.#fd;
    this.#fd = fd;
    this.#size = 0;
    this.#inode = fs.fstatSync(fd).ino;
    this.#needNewline = false;
    this.#stats.rotations++;
    await closeAsync(old).catch(() => {});
    if (this.compress) {
      const last = this.#lastTimeNs;
      this.#compressing = compressLogFile(`${p}.1`, `${p}.1.gz`, last, (fn) => withChainLock(p, fn))
        .catch((err) => this.#warn('compressing a rotated log file failed', { path: `${p}.1`, error: messageOf(err) }))
        .finally(() => (this.#compressing = undefined));
    }
  }

  /** Shifts the names and opens a fresh file; undefined (current file kept) when that fails. */
  async #shift(): Promise<number | undefined> {
    const p = this.path;
    const ext = this.compress ? '.gz' : '';
    try {
      if (this.maxFile >= 2) {
        await fs.promises.rm(`${p}.${this.maxFile - 1}${ext}`, { force: true });
        for (let i = this.maxFile - 1; i > 1; i--) {
          await fs.promises.rename(`${p}.${i - 1}${ext}`, `${p}.${i}${ext}`).catch((err) => {
            if (errnoCode(err) !== 'ENOENT') throw err;
          });
        }
        await fs.promises.rename(p, `${p}.1`);
      } else {
        await fs.promises.unlink(p);
      }
    } catch (err) {
      // Could not shift the files: keep appending to the current one rather than lose records.
      this.#warn('log rotation failed, keeping current file', { path: p, error: messageOf(err) });
      return undefined;
    }
    try {
      return await new Promise<number>((res, rej) => fs.open(p, 'a', this.mode, (e, f) => (e ? rej(e) : res(f))));
    } catch (err) {
      // The old descriptor still works (it now names x.log.1 or an unlinked file); try to put it back.
      if (this.maxFile >= 2) await fs.promises.rename(`${p}.1`, p).catch(() => {});
      this.#warn('log rotation could not create a new file', { path: p, error: messageOf(err) });
      return undefined;
    }
  }

  /** Records that never reached append() (an encoder failed) count as dropped too. */
  protected dropUnwritten(err: unknown): void {
    this.#drop(1, err);
  }

  #drop(n: number, err: unknown): void {
    if (n <= 0) return;
    this.#stats.dropped += n;
    this.#droppedSinceWarn += n;
    this.#warn('dropping container log records: write to log file failed', {
      path: this.path,
      error: errnoCode(err) ?? messageOf(err),
    });
  }

  /** At most one warning per warnIntervalMs, carrying the drops counted since the last one. */
  #warn(msg: string, fields: Record<string, unknown>): void {
    const now = performance.now();
    if (now - this.#lastWarnAt < this.#warnIntervalMs) return;
    this.#lastWarnAt = now;
    const all = { ...fields, dropped: this.#droppedSinceWarn, droppedTotal: this.#stats.dropped };
    this.#droppedSinceWarn = 0;
    try {
      this.#onWarning?.(msg, all);
    } catch {
      /* a warning sink must not break logging */
    }
  }
}
