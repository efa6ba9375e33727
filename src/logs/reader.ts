// readLogs: records of a file log (json-file lines or local-driver frames, by `codec`) across
// its rotated files — plain or gzipped (x.log.N.gz, inflated into an unlinked temporary file
// when read; skipped unread when its header's lastTime is before `since`) — with tail,
// since/until and follow.
//
// Snapshot: on start the reader opens x.log, x.log.1 … newest first, checks that no rotation
// happened meanwhile (names still point at the inodes it opened; otherwise it retries), and
// then reads from the open descriptors, oldest first. Open descriptors keep a rotated or even
// deleted file readable, so a rotation during the read neither loses nor repeats lines.
//
// tail N scans backwards from the end of the newest file (then older ones) in 64 KiB blocks
// until it has seen N records, then reads forwards from there: cost is proportional to the
// tail, not to the log. Like dockerd, tail counts records of both streams; the stdout/stderr
// selection, since and until are applied afterwards (since: skip earlier records, until: stop
// at the first later record). Without tail, rotated files whose last record is before `since`
// are skipped without being read.
//
// follow: after the snapshot, the reader keeps reading the current file as it grows. When x.log
// is replaced (rotation), it drains the old descriptor, finds the file that followed it in the
// chain by inode and continues there, so lines written across one or several rotations are
// neither lost nor duplicated (unless rotation already deleted them). Growth is noticed through
// fs.watch on the directory, with a poll timer as safety net. Follow ends when `signal` aborts
// (immediately), or after a final drain when `watchClosed` resolves (the container stopped and
// its writer closed) or when the wall clock passes `until`.
//
// Damaged content — NUL blocks, half-written lines, garbage — is skipped, never thrown.

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../common/errors.ts';
import { decodeLine, LineDecoder, nowNs } from './jsonlog.ts';
import type { LogRecord } from './jsonlog.ts';
import { decodeEntry, entryToRecord, FrameDecoder, MAX_FRAME } from './local-entry.ts';
import { compressedLastTime, inflateInto } from './gzip-file.ts';
import { withChainLock } from './chain-lock.ts';

export type LogEntry = LogRecord;

export interface ReadLogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Only records at or after this time (ns since epoch). */
  since?: bigint;
  /** Stop at the first record after this time (ns since epoch). */
  until?: bigint;
  /** Last N records only; -1 or undefined = all; 0 = none (follow only new ones). */
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
  /** Resolves when the writer closed (container stopped): follow drains what is left and ends. */
  watchClosed?: Promise<void>;
  /** Safety-net poll interval in follow mode. Default 250 ms (fs.watch delivers the fast path). */
  pollIntervalMs?: number;
  /** Use fs.watch for change notification (default true); polling alone when false. */
  useWatch?: boolean;
  /** Filled in while reading: bytes read from disk (tests, diagnostics). */
  stats?: { bytesRead: number };
  /** The file format (default json-file). */
  codec?: RecordCodec;
}

/** A record stream decoder: bytes in, whole records out. */
export interface RecordDecoder {
  push(chunk: Buffer): LogRecord[];
  /** End of input: what a final record without its terminator still yields. */
  end(): LogRecord[];
}

/** What the reader needs to know of a file format. */
export interface RecordCodec {
  decoder(): RecordDecoder;
  /** Records of one file from its end towards its start, as [startOffset, bytes]. */
  backward(f: OpenFile, stats: { bytesRead: number }): AsyncGenerator<[number, Buffer]>;
  /** One record's bytes as `backward` yields them. */
  decodeOne(b: Buffer): LogRecord | undefined;
}

const BLOCK = 64 * 1024;

export interface OpenFile {
  name: string;
  fh: FileHandle;
  ino: number;
  size: number;
}

export function readLogs(path: string, opts: ReadLogsOptions = {}): AsyncIterable<LogEntry> {
  return { [Symbol.asyncIterator]: () => read(path, opts) };
}

async function* read(path: string, opts: ReadLogsOptions): AsyncGenerator<LogEntry> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  const since = opts.since;
  const until = opts.until;
  const stats = opts.stats ?? { bytesRead: 0 };
  const signal = opts.signal;
  const codec = opts.codec ?? jsonCodec;
  const files = await openSnapshot(path, opts.tail === undefined || opts.tail < 0 ? since : undefined);
  let follower: Follower | undefined;
  try {
    if (signal?.aborted) return;
    if (until !== undefined && since !== undefined && until < since) return;
    const tail = opts.tail ?? -1;
    // Starting point: file index and byte offset.
    let startIdx = 0;
    let startOff = 0;
    if (tail === 0) {
      startIdx = files.length - 1;
      startOff = files.length ? files[files.length - 1].size : 0;
    } else if (tail > 0) {
      [startIdx, startOff] = await findTailStart(codec, files, tail, stats);
    } else if (since !== undefined) {
      while (startIdx < files.length - 1) {
        const last = await lastRecordTime(codec, files[startIdx], stats);
        if (last === undefined || last >= since) break;
        startIdx++;
      }
    }

    // accept() filters a record and sets `stop` at the first record after `until`.
    let stop = false;
    const accept = (r: LogRecord): boolean => {
      if (until !== undefined && r.timeNs > until) {
        stop = true;
        return false;
      }
      if (since !== undefined && r.timeNs < since) return false;
      return r.stream === 'stdout' ? wantOut : wantErr;
    };

    // Snapshot part.
    const follow = opts.follow === true;
    for (let i = Math.max(startIdx, 0); i < files.length; i++) {
      const f = files[i];
      const isLast = i === files.length - 1;
      const dec = codec.decoder();
      let pos = i === startIdx ? startOff : 0;
      while (pos < f.size) {
        const chunk = await readAt(f.fh, pos, Math.min(BLOCK, f.size - pos), stats);
        if (chunk.length === 0) break;
        pos += chunk.length;
        for (const r of dec.push(chunk)) {
          if (accept(r)) yield r;
          if (stop || signal?.aborted) return;
        }
      }
      if (isLast && follow) {
        follower = new Follower(path, codec, f, pos, dec);
      } else {
        for (const r of dec.end()) {
          if (accept(r)) yield r;
          if (stop) return;
        }
      }
    }
    if (!follow || signal?.aborted) return;

    // Follow part.
    if (!follower) follower = new Follower(path, codec, undefined, 0, codec.decoder());
    const fl = follower;
    let finishing = false;
    let finish!: () => void;
    const finishP = new Promise<void>((r) => (finish = r));
    opts.watchClosed?.then(
      () => {
        finishing = true;
        finish();
      },
      () => {
        finishing = true;
        finish();
      },
    );
    let untilTimer: NodeJS.Timeout | undefined;
    const armUntil = () => {
      const ms = Number((until! - nowNs()) / 1_000_000n);
      if (ms < 0) {
        finishing = true;
        finish();
        return;
      }
      untilTimer = setTimeout(armUntil, Math.min(ms + 1, 2 ** 31 - 1)); // re-armed past setTimeout's limit
    };
    if (until !== undefined) armUntil();
    const waiter = new ChangeWaiter(path, opts.useWatch ?? true, opts.pollIntervalMs ?? 250, finishP);
    try {
      for (;;) {
        const wasFinishing = finishing;
        for await (const r of fl.drain(stats)) {
          if (accept(r)) yield r;
          if (stop || signal?.aborted) return;
        }
        if (wasFinishing) {
          for (const r of fl.end()) if (accept(r)) yield r;
          return;
        }
        if (signal?.aborted) return;
        await waiter.wait(signal);
        if (signal?.aborted) return;
      }
    } finally {
      if (untilTimer) clearTimeout(untilTimer);
      waiter.close();
    }
  } finally {
    // The follower closes the files it hops away from; close everything else still open.
    const open = new Set(files.map((f) => f.fh));
    if (follower?.file) open.add(follower.file.fh);
    await follower?.close();
    await Promise.all([...open].map((fh) => fh.close().catch(() => {})));
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshot of the rotation chain

/** Numbers of the plain rotated files (x.log.N), ascending: a followed file's successors. */
async function rotatedNumbers(path: string): Promise<number[]> {
  return (await rotatedFiles(path)).filter((r) => !r.gz).map((r) => r.n);
}

/** Rotated files (x.log.N or x.log.N.gz), ascending. */
async function rotatedFiles(path: string): Promise<{ n: number; gz: boolean }[]> {
  const base = basename(path) + '.';
  let names: string[];
  try {
    names = await fs.promises.readdir(dirname(path));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const found = new Map<number, boolean>();
  for (const n of names) {
    if (!n.startsWith(base)) continue;
    const m = /^([1-9]\d{0,5})(\.gz)?$/.exec(n.slice(base.length));
    // The plain file wins while both exist (compression in progress).
    if (m) found.set(Number(m[1]), Boolean(m[2]) && (found.get(Number(m[1])) ?? true));
  }
  return [...found.entries()].map(([n, gz]) => ({ n, gz })).sort((a, b) => a.n - b.n);
}

const nameOf = (path: string, n: number) => (n === 0 ? path : `${path}.${n}`);

async function inoOf(name: string): Promise<number | undefined> {
  try {
    return (await fs.promises.stat(name)).ino;
  } catch {
    return undefined;
  }
}

async function openFile(name: string): Promise<OpenFile | undefined> {
  let fh: FileHandle;
  try {
    fh = await fs.promises.open(name, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const st = await fh.stat();
  return { name, fh, ino: st.ino, size: st.size };
}

/** A rotated file opened under the chain lock: plain, or a gzip still to inflate. */
type Entry = { kind: 'plain'; file: OpenFile } | { kind: 'gz'; name: string; ino: number; fh: FileHandle };

/** x.log.N, or x.log.N.gz when the plain one is gone (compressed since the listing). */
async function openEntry(plain: string, gzFirst: boolean): Promise<Entry | undefined> {
  if (!gzFirst) {
    const f = await openFile(plain);
    if (f) return { kind: 'plain', file: f };
  }
  const name = `${plain}.gz`;
  let fh: FileHandle;
  try {
    fh = await fs.promises.open(name, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return gzFirst ? openEntry(plain, false) : undefined;
    throw err;
  }
  return { kind: 'gz', name, ino: (await fh.stat()).ino, fh };
}

/**
 * An entry as an OpenFile, outside the lock: a gzip is inflated into a temporary file in the
 * same directory that is unlinked at once (nothing to clean up after a crash); its name and
 * inode stay the .gz file's. A gzip whose recorded last time is before `since` is left out
 * unread, as is a damaged one.
 */
async function materialize(e: Entry, since: bigint | undefined): Promise<OpenFile | undefined> {
  if (e.kind === 'plain') {
    return e.file;
  }
  try {
    if (since !== undefined) {
      const last = await compressedLastTime(e.fh);
      if (last !== undefined && last < since) return undefined;
    }
    const tmp = join(dirname(e.name), `.${basename(e.name)}.inflate-${randomBytes(6).toString('hex')}`);
    const fh = await fs.promises.open(tmp, 'w+', 0o600);
    await fs.promises.unlink(tmp).catch(() => {});
    try {
      await inflateInto(e.fh, fh.fd);
    } catch {
      await fh.close().catch(() => {});
      return undefined;
    }
    return { name: e.name, fh, ino: e.ino, size: (await fh.stat()).size };
  } finally {
    await e.fh.close().catch(() => {});
  }
}

/** Newest first: the current file, then x.log.1, x.log.2 … as they are now. */
async function openChain(path: string): Promise<Entry[]> {
  return withChainLock(path, async () => {
    const out: Entry[] = [];
    const current = await openFile(path);
    if (current) out.push({ kind: 'plain', file: current });
    for (const r of await rotatedFiles(path)) {
      const e = await openEntry(nameOf(path, r.n), r.gz);
      if (e) out.push(e);
    }
    return out;
  });
}

/**
 * Opens the chain newest first; returns it oldest first. Retries if a rotation raced with it
 * (only files another process rotates can: berthd's own rotations wait for the chain lock).
 * Gzipped files whose recorded last time is before `since` are left out unread.
 */
async function openSnapshot(path: string, since?: bigint): Promise<OpenFile[]> {
  for (let attempt = 0; ; attempt++) {
    const entries = await openChain(path);
    let consistent = true;
    for (const e of entries) {
      const [name, ino] = e.kind === 'plain' ? [e.file.name, e.file.ino] : [e.name, e.ino];
      if ((await inoOf(name)) !== ino) {
        consistent = false;
        break;
      }
    }
    if (!consistent && attempt < 20) {
      await Promise.all(entries.map((e) => (e.kind === 'plain' ? e.file.fh : e.fh).close().catch(() => {})));
      await sleep(attempt);
      continue;
    }
    const opened: OpenFile[] = [];
    for (const e of entries) {
      const f = await materialize(e, since);
      if (f) opened.push(f);
    }
    // Never hand out the same file twice, whatever happened.
    const seen = new Set<number>();
    const unique = opened.filter((f) => {
      if (seen.has(f.ino)) {
        void f.fh.close().catch(() => {});
        return false;
      }
      seen.add(f.ino);
      return true;
    });
    return unique.reverse();
  }
}

async function readAt(fh: FileHandle, pos: number, len: number, stats: { bytesRead: number }): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  stats.bytesRead += bytesRead;
  return bytesRead === len ? buf : buf.subarray(0, bytesRead);
}

// ---------------------------------------------------------------------------------------------
// Backwards scanning

/** A line "looks like" a record when, NULs aside, it starts with '{' and ends with '}'. */
function looksLikeRecord(b: Buffer, s: number, e: number): boolean {
  while (s < e && b[s] === 0) s++;
  while (e > s && (b[e - 1] === 0 || b[e - 1] === 0x0d)) e--;
  return e - s >= 2 && b[s] === 0x7b && b[e - 1] === 0x7d;
}

/**
 * Lines of one file from its end towards its start, as [startOffset, bytes] — bytes without
 * the newline. Reads 8 KiB first, doubling up to BLOCK.
 */
async function* linesBackward(f: OpenFile, stats: { bytesRead: number }): AsyncGenerator<[number, Buffer]> {
  let end = f.size;
  let carry: Buffer = Buffer.alloc(0); // start of a line whose beginning lies in an earlier block
  let block = 8 * 1024; // small first: often only the last record or two are wanted
  while (end > 0) {
    const start = Math.max(0, end - block);
    block = Math.min(block * 2, BLOCK);
    const bytes = await readAt(f.fh, start, end - start, stats);
    const buf = carry.length ? Buffer.concat([bytes, carry]) : bytes;
    let e = buf.length;
    for (let nl = buf.lastIndexOf(0x0a, e - 1); nl >= 0; nl = e > 0 ? buf.lastIndexOf(0x0a, e - 1) : -1) {
      if (nl + 1 < e) yield [start + nl + 1, buf.subarray(nl + 1, e)];
      e = nl;
      if (e === 0) break;
    }
    carry = Buffer.from(buf.subarray(0, e));
    end = start;
  }
  if (carry.length) yield [0, carry];
}

/** Where the last `n` records start: [file index, byte offset]. */
async function findTailStart(
  codec: RecordCodec,
  files: OpenFile[],
  n: number,
  stats: { bytesRead: number },
): Promise<[number, number]> {
  let count = 0;
  for (let i = files.length - 1; i >= 0; i--) {
    for await (const [off] of codec.backward(files[i], stats)) {
      if (++count === n) return [i, off];
    }
  }
  return [0, 0];
}

/** Time of the last decodable record of a file (reads only its end). */
async function lastRecordTime(
  codec: RecordCodec,
  f: OpenFile,
  stats: { bytesRead: number },
): Promise<bigint | undefined> {
  for await (const [, bytes] of codec.backward(f, stats)) {
    const r = codec.decodeOne(bytes);
    if (r) return r.timeNs;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formats

/** json-file: one JSON object per line. */
export const jsonCodec: RecordCodec = {
  decoder: () => new LineDecoder(),
  async *backward(f, stats) {
    for await (const [off, line] of linesBackward(f, stats))
      if (looksLikeRecord(line, 0, line.length)) yield [off, line];
  },
  decodeOne: (b) => decodeLine(b),
};

/**
 * local: size-framed protobuf entries. Backwards, the trailing size of each frame gives its
 * start; a frame whose leading size disagrees ends the walk (damage before it is not tailed).
 */
export const localCodec: RecordCodec = {
  decoder: () => new FrameDecoder(),
  async *backward(f, stats) {
    let end = f.size;
    while (end >= 8) {
      const tail = await readAt(f.fh, end - 4, 4, stats);
      if (tail.length < 4) return;
      const size = tail.readUInt32BE(0);
      if (size > MAX_FRAME || size + 8 > end) return;
      const start = end - size - 8;
      const frame = await readAt(f.fh, start, size + 8, stats);
      if (frame.length < size + 8 || frame.readUInt32BE(0) !== size) return;
      yield [start, frame.subarray(4, 4 + size)];
      end = start;
    }
  },
  decodeOne: (b) => {
    const e = decodeEntry(b);
    return e ? entryToRecord(e) : undefined;
  },
};

// ---------------------------------------------------------------------------------------------
// Following

/**
 * Reads the growing end of the chain, hopping to the next file on rotation. The next file is
 * found by inode while it still has its plain name; when rotation already compressed it (or
 * several rotations passed), the follower finds its place again by time: it reads every file
 * whose last record is not older than the last one it handed out, skipping what it had.
 */
class Follower {
  readonly path: string;
  readonly codec: RecordCodec;
  file: OpenFile | undefined;
  pos: number;
  dec: RecordDecoder;
  /** The last record handed out: its time and how many records before it had that time. */
  #last: { time: bigint; count: number } | undefined;
  /** Records to skip when re-reading after a resync by time. */
  #skip: { time: bigint; count: number } | undefined;
  /** Older files to read whole before following on (found by time). */
  #queue: OpenFile[] = [];

  constructor(path: string, codec: RecordCodec, file: OpenFile | undefined, pos: number, dec: RecordDecoder) {
    this.path = path;
    this.codec = codec;
    this.file = file;
    this.pos = pos;
    this.dec = dec;
  }

  /** Everything available now, across any rotations that happened since the last call. */
  async *drain(stats: { bytesRead: number }): AsyncGenerator<LogRecord> {
    for (;;) {
      if (!this.file) {
        const f = await openFile(this.path);
        if (!f) return;
        this.file = f;
        this.pos = 0;
        this.dec = this.codec.decoder();
      }
      yield* this.#emit(this.#readToEnd(stats));
      if (this.#queue.length === 0) {
        const ino = await inoOf(this.path);
        if (ino === this.file.ino) return;
        // Rotated (or removed). The old file gets no more writes once its name is gone; read
        // its last bytes, then continue with its successor.
        yield* this.#emit(this.#readToEnd(stats));
      }
      yield* this.#emit(this.dec.end());
      const next = this.#queue.length ? this.#queue.shift() : await this.#successor(this.file.ino);
      await this.file.fh.close().catch(() => {});
      this.file = next;
      this.pos = 0;
      this.dec = this.codec.decoder();
      if (!next) return;
    }
  }

  /** Final records held back (a well-formed last record that lacks its newline). */
  end(): LogRecord[] {
    const out: LogRecord[] = [];
    for (const r of this.dec.end()) if (this.#pass(r)) out.push(r);
    return out;
  }

  /** Closes files read ahead and not reached. */
  async close(): Promise<void> {
    await Promise.all(this.#queue.splice(0).map((f) => f.fh.close().catch(() => {})));
  }

  async *#emit(src: AsyncIterable<LogRecord> | Iterable<LogRecord>): AsyncGenerator<LogRecord> {
    for await (const r of src) if (this.#pass(r)) yield r;
  }

  #pass(r: LogRecord): boolean {
    const skip = this.#skip;
    if (skip) {
      if (r.timeNs < skip.time) return false;
      if (r.timeNs === skip.time && skip.count > 0) {
        skip.count--;
        return false;
      }
      this.#skip = undefined;
    }
    this.#last =
      this.#last?.time === r.timeNs ? { time: r.timeNs, count: this.#last.count + 1 } : { time: r.timeNs, count: 1 };
    return true;
  }

  async *#readToEnd(stats: { bytesRead: number }): AsyncGenerator<LogRecord> {
    const f = this.file!;
    for (;;) {
      const chunk = await readAt(f.fh, this.pos, BLOCK, stats);
      if (chunk.length === 0) return;
      this.pos += chunk.length;
      yield* this.dec.push(chunk);
    }
  }

  /** The file written after the one with inode `ino`. */
  async #successor(ino: number): Promise<OpenFile | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const nums = await rotatedNumbers(this.path);
      let k = -1;
      for (const n of nums)
        if ((await inoOf(nameOf(this.path, n))) === ino) {
          k = n;
          break;
        }
      if (k <= 0 && this.#last) return this.#resyncByTime(this.#last);
      let candidate: number;
      if (k > 0) {
        const lower = nums.filter((n) => n < k);
        candidate = lower.length ? lower[lower.length - 1] : 0;
      } else {
        candidate = nums.length ? nums[nums.length - 1] : 0;
      }
      const f = await openFile(nameOf(this.path, candidate));
      // Valid only if nothing moved while we looked.
      if (f && (k <= 0 || (await inoOf(nameOf(this.path, k))) === ino) && (await inoOf(f.name)) === f.ino) return f;
      await f?.fh.close().catch(() => {});
      await sleep(attempt);
    }
    return openFile(this.path);
  }

  /** Every file, oldest first, that may hold records from `last` on; the current file last. */
  async #resyncByTime(last: { time: bigint; count: number }): Promise<OpenFile | undefined> {
    const entries = (await openChain(this.path)).reverse();
    const picked: OpenFile[] = [];
    for (const e of entries) {
      const f = await materialize(e, last.time);
      if (!f) continue;
      if (e.kind === 'plain' && f.name !== this.path) {
        const t = await lastRecordTime(this.codec, f, { bytesRead: 0 });
        if (t !== undefined && t < last.time) {
          await f.fh.close().catch(() => {});
          continue;
        }
      }
      picked.push(f);
    }
    this.#skip = { ...last };
    this.#queue = picked;
    return this.#queue.shift();
  }
}

/** Wakes up on directory changes (fs.watch) or after the poll interval, whichever comes first. */
class ChangeWaiter {
  #watcher: fs.FSWatcher | undefined;
  #dirty = false;
  #wake: (() => void) | undefined;
  readonly #pollMs: number;

  constructor(path: string, useWatch: boolean, pollMs: number, finish: Promise<void>) {
    this.#pollMs = pollMs;
    // One reaction for the whole follow, not one per wait (a follow can last for days).
    void finish.then(() => {
      this.#dirty = true;
      this.#wake?.();
    });
    if (useWatch) {
      const base = basename(path);
      try {
        this.#watcher = fs.watch(dirname(path), { persistent: false }, (_ev, name) => {
          if (name !== null && !String(name).startsWith(base)) return;
          this.#dirty = true;
          this.#wake?.();
        });
        this.#watcher.on('error', () => {
          this.#watcher?.close();
          this.#watcher = undefined;
        });
      } catch {
        this.#watcher = undefined; // polling only
      }
    }
  }

  async wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.#dirty) {
      this.#dirty = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#pollMs);
      this.#wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
    this.#dirty = false;
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
