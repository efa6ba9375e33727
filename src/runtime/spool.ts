// A container's stdout/stderr on their way from the shim's FIFOs to berthd's consumers,
// through a spool file per stream, so that a berthd killed at any instant loses no byte:
//
//   FIFO --splice(2)--> <bundle>/<stream>.spool --read--> consumers (attach, log copier)
//
// splice moves bytes from the pipe into the file in the kernel: they are in the pipe or in
// the spool, never only in berthd's memory. Bytes leave the spool when the durable
// consumer (the json-file writer) commits them: the cursor file records, per stream, how
// many bytes are logged, and where the log file ended at that commit. After a restart the
// consumers resume from the committed position and the log is cut back to that commit, so
// every byte is logged exactly once. Without a durable consumer bytes count as committed
// once read. The spool is emptied whenever all of it is committed, and it never runs more
// than MAX_BACKLOG ahead: then the pipe fills and the container blocks (Docker's blocking
// mode), as before.
//
// Readiness: inotify (fs.watch) reports writes to a FIFO without consuming anything; a
// kick() (the process exited) and a slow timer cover what inotify does not report.
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  watch,
  writeSync,
  constants as fsc,
  type FSWatcher,
} from 'node:fs';
import { Readable } from 'node:stream';
import { spliceToFile } from '../sys/splice.ts';

export type OutputStream = 'stdout' | 'stderr';

export const MAX_BACKLOG = 4 << 20;
/** An emptied spool is truncated once it grew past this. */
const TRUNCATE_AT = 256 << 10;
const CHUNK = 64 << 10;
/** Bytes moved per turn of the event loop, so a flooding container cannot starve the rest. */
const PER_TURN = 1 << 20;
const SAFETY_POLL_MS = 1000;

export interface LogPosition {
  inode: number;
  size: number;
}

const MAGIC = 0x4c505342; // "BSPL"
const CURSOR_SIZE = 64;

/**
 * The commit record (<bundle>/log.cursor): per stream the bytes removed from the front of
 * its spool (base) and the bytes committed; the log file's inode and size at the commit.
 * Positions are stream offsets (bytes since the task started). One 64-byte pwrite per
 * commit: a killed process leaves either the old record or the new one.
 */
export class SpoolCursor {
  private readonly fd: number;
  readonly base: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  readonly committed: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  log: LogPosition | undefined;

  constructor(path: string) {
    this.fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o600);
    const buf = Buffer.alloc(CURSOR_SIZE);
    const n = readSync(this.fd, buf, 0, CURSOR_SIZE, 0);
    if (n === CURSOR_SIZE && buf.readUInt32LE(0) === MAGIC) {
      this.base.stdout = Number(buf.readBigUInt64LE(8));
      this.committed.stdout = Number(buf.readBigUInt64LE(16));
      this.base.stderr = Number(buf.readBigUInt64LE(24));
      this.committed.stderr = Number(buf.readBigUInt64LE(32));
      if (buf.readUInt32LE(4) & 1)
        this.log = { inode: Number(buf.readBigUInt64LE(40)), size: Number(buf.readBigUInt64LE(48)) };
    }
  }

  write(): void {
    const buf = Buffer.alloc(CURSOR_SIZE);
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(this.log ? 1 : 0, 4);
    buf.writeBigUInt64LE(BigInt(this.base.stdout), 8);
    buf.writeBigUInt64LE(BigInt(this.committed.stdout), 16);
    buf.writeBigUInt64LE(BigInt(this.base.stderr), 24);
    buf.writeBigUInt64LE(BigInt(this.committed.stderr), 32);
    buf.writeBigUInt64LE(BigInt(this.log?.inode ?? 0), 40);
    buf.writeBigUInt64LE(BigInt(this.log?.size ?? 0), 48);
    writeSync(this.fd, buf, 0, CURSOR_SIZE, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** One stream's FIFO, spool file and the readable handed to consumers. */
class OutputSpool {
  readonly readable: Readable;
  readonly name: OutputStream;
  private readonly fifoFd: number;
  private readonly spoolFd: number;
  private readonly cursor: SpoolCursor;
  private readonly autoCommit: boolean;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** File offsets in the spool. */
  private size: number;
  private readPos: number;
  private eof = false;
  private ended = false;
  private closed = false;
  private wanted = true;
  private scheduled = false;

  constructor(o: {
    name: OutputStream;
    fifoPath: string;
    fifoFd: number;
    spoolPath: string;
    cursor: SpoolCursor;
    autoCommit: boolean;
  }) {
    this.name = o.name;
    this.fifoFd = o.fifoFd;
    this.cursor = o.cursor;
    this.autoCommit = o.autoCommit;
    this.spoolFd = openSync(o.spoolPath, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o600);
    this.size = fstatSync(this.spoolFd).size;
    let offset = this.cursor.committed[o.name] - this.cursor.base[o.name];
    if (offset > this.size || offset < 0) {
      // Killed between emptying the spool and recording it: everything was committed.
      this.cursor.base[o.name] = this.cursor.committed[o.name];
      offset = 0;
      ftruncateSync(this.spoolFd, 0);
      this.size = 0;
      this.cursor.write();
    }
    this.readPos = offset;
    this.readable = new Readable({
      highWaterMark: CHUNK,
      read: () => {
        this.wanted = true;
        this.schedule();
      },
      destroy: (err, cb) => {
        this.close();
        cb(err);
      },
    });
    try {
      this.watcher = watch(o.fifoPath, () => this.schedule());
      this.watcher.on('error', () => {});
    } catch {
      /* no inotify: the timer alone */
    }
    this.timer = setInterval(() => this.schedule(), SAFETY_POLL_MS);
    this.timer.unref();
    this.schedule();
  }

  /** Stream offset of the first byte not yet read from the spool. */
  get readOffset(): number {
    return this.cursor.base[this.name] + this.readPos;
  }

  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed || this.ended) return;
    let moved = 0;
    try {
      while (moved < PER_TURN) {
        if (this.readPos < this.size) {
          if (!this.wanted) return;
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, this.size - this.readPos));
          const n = readSync(this.spoolFd, buf, 0, buf.length, this.readPos);
          if (n <= 0) break;
          this.readPos += n;
          moved += n;
          if (this.autoCommit) {
            // Nobody logs durably: read is as good as committed.
            this.commitTo(this.readOffset);
            this.maybeTruncate();
            this.cursor.write();
          }
          this.wanted = this.readable.push(n === buf.length ? buf : buf.subarray(0, n));
          continue;
        }
        if (this.eof) {
          this.ended = true;
          this.readable.push(null);
          this.stopWatching();
          return;
        }
        const behind = this.size - (this.cursor.committed[this.name] - this.cursor.base[this.name]);
        if (behind >= MAX_BACKLOG) return; // the consumer commits, then we go on
        const n = spliceToFile(this.fifoFd, this.spoolFd, this.size, Math.min(1 << 20, MAX_BACKLOG - behind));
        if (n > 0) this.size += n;
        else if (n === 0) this.eof = true;
        else return; // the pipe is empty for now
      }
    } catch (err) {
      this.readable.destroy(err as Error);
      return;
    }
    this.schedule(); // more to do: next turn
  }

  /** Bytes of the stream up to `offset` are safe elsewhere. */
  commitTo(offset: number): void {
    if (offset <= this.cursor.committed[this.name]) return;
    this.cursor.committed[this.name] = offset;
    if (!this.autoCommit) this.schedule(); // the backlog may have room again
  }

  /** After a commit was recorded: an emptied spool is cut back to nothing. */
  maybeTruncate(): boolean {
    const local = this.cursor.committed[this.name] - this.cursor.base[this.name];
    if (local !== this.size || this.readPos !== this.size || this.size < TRUNCATE_AT) return false;
    ftruncateSync(this.spoolFd, 0);
    this.cursor.base[this.name] += this.size;
    this.size = 0;
    this.readPos = 0;
    return true;
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    for (const fd of [this.fifoFd, this.spoolFd])
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    if (!this.readable.destroyed && !this.ended) this.readable.push(null);
  }
}

/**
 * The durable side of a task's output: where a durable consumer resumes, how it commits.
 * Handed to the json-file writer through the task's io (services wire the two).
 */
export interface DurableOutput {
  /** Stream offsets the consumer's first bytes are at (what was committed before). */
  readonly start: Readonly<Record<OutputStream, number>>;
  /** The log file position of the last commit: a log longer than that is cut back to it. */
  readonly log: LogPosition | undefined;
  /** Records that the log holds everything up to `ends` and ends at `log`. */
  commit(log: LogPosition, ends: Partial<Record<OutputStream, number>>): void;
}

export class SpooledOutput implements DurableOutput {
  readonly stdout: Readable;
  readonly stderr: Readable | null;
  readonly start: Record<OutputStream, number>;
  private readonly cursor: SpoolCursor;
  private readonly spools: OutputSpool[];

  constructor(o: {
    dir: string;
    fifos: { name: OutputStream; path: string; fd: number }[];
    durable: boolean;
  }) {
    this.cursor = new SpoolCursor(`${o.dir}/log.cursor`);
    this.start = { ...this.cursor.committed };
    this.spools = o.fifos.map(
      (f) =>
        new OutputSpool({
          name: f.name,
          fifoPath: f.path,
          fifoFd: f.fd,
          spoolPath: `${o.dir}/${f.name}.spool`,
          cursor: this.cursor,
          autoCommit: !o.durable,
        }),
    );
    const by = (n: OutputStream) => this.spools.find((s) => s.name === n);
    this.stdout = by('stdout')!.readable;
    this.stderr = by('stderr')?.readable ?? null;
    this.log = this.cursor.log;
  }

  readonly log: LogPosition | undefined;

  commit(log: LogPosition, ends: Partial<Record<OutputStream, number>>): void {
    this.cursor.log = log;
    for (const s of this.spools) {
      const end = ends[s.name];
      if (end !== undefined) s.commitTo(end);
    }
    this.cursor.write();
    // Emptying a spool is recorded right away (see OutputSpool's constructor for a kill between).
    if (this.spools.map((s) => s.maybeTruncate()).some(Boolean)) this.cursor.write();
  }

  /** The process exited: look for the end of its output now rather than at the next poll. */
  kick(): void {
    for (const s of this.spools) s.schedule();
  }

  close(): void {
    for (const s of this.spools) s.close();
    try {
      this.cursor.close();
    } catch {
      /* closed */
    }
  }
}
