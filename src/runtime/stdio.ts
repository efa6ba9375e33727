// Stdio FIFOs between berthd and a shim.
//
// The shim (containerd pkg/process/io.go) opens each stdout/stderr FIFO for writing with a
// blocking open — it waits up to 30 s for a reader — and then for reading itself, so the
// pipe always has a reader and the container never sees EPIPE while berthd is away. It
// opens stdin for reading (and writing, so only CloseIO ends it).
//
// Node must never block its loop on a FIFO open, and an O_RDONLY|O_NONBLOCK reader reads
// EOF whenever no writer is open yet. Hence the order used here:
//   1. createTaskIO(): mkfifo, open each output FIFO O_RDWR as a "keeper" (never blocks,
//      gives the shim the reader it waits for), raise the pipe size on it;
//   2. the caller sends Create to the shim (which opens its write ends);
//   3. io.attach(): open O_RDONLY|O_NONBLOCK readers, pipe them into the streams handed
//      out at step 1, close the keepers. From then on EOF means the shim closed its write
//      end (the process exited and its output was copied).
// After a berthd restart reopenTaskIO() does step 3 directly.
import { constants as fsc, promises as fsp, openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { errnoCode, invalidArgument } from '../common/errors.ts';
import { S_IFIFO, mknod, setPipeSize, getPipeSize } from '../sys/libc.ts';
import { SpooledOutput } from './spool.ts';

export interface StdioPaths {
  stdin?: string;
  stdout: string;
  stderr: string;
}

export const DEFAULT_PIPE_SIZE = 1 << 20;

/** Creates a FIFO; an existing FIFO at `path` is fine, anything else is an error. */
export async function mkfifo(path: string, mode = 0o600): Promise<void> {
  try {
    mknod(path, S_IFIFO | mode);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    const st = await fsp.lstat(path);
    if (!st.isFIFO()) throw invalidArgument(`${path} exists and is not a FIFO`);
  }
}

/** Paths of the FIFOs for one process (`prefix` distinguishes exec processes). */
export function stdioPaths(dir: string, opts: { stdin: boolean; prefix?: string }): StdioPaths {
  const p = opts.prefix ? `${opts.prefix}-` : '';
  return {
    ...(opts.stdin ? { stdin: join(dir, `${p}stdin`) } : {}),
    stdout: join(dir, `${p}stdout`),
    stderr: join(dir, `${p}stderr`),
  };
}

let maxPipeSize: number | undefined;
/** /proc/sys/fs/pipe-max-size (what an unprivileged F_SETPIPE_SZ may ask for). */
export function pipeMaxSize(): number {
  if (maxPipeSize === undefined) {
    try {
      maxPipeSize = Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8').trim()) || DEFAULT_PIPE_SIZE;
    } catch {
      maxPipeSize = DEFAULT_PIPE_SIZE;
    }
  }
  return maxPipeSize;
}

/** Raises a pipe's buffer; best effort (returns the size in effect). */
export function raisePipeSize(fd: number, want = DEFAULT_PIPE_SIZE): number {
  try {
    return setPipeSize(fd, Math.min(want, pipeMaxSize()));
  } catch {
    try {
      return getPipeSize(fd);
    } catch {
      return 0;
    }
  }
}

function fifoSocket(fd: number, mode: 'r' | 'w'): net.Socket {
  return new net.Socket({ fd, readable: mode === 'r', writable: mode === 'w' });
}

export interface TaskIOOptions {
  /** Bytes of pipe buffer to ask for on stdout/stderr (default 1 MiB, clamped to pipe-max-size). */
  pipeSize?: number;
  /** Terminal mode: the shim copies the pty to stdout only; stderr is not used. */
  terminal?: boolean;
  /**
   * Output through spool files in `dir` (spool.ts), so no byte is lost when berthd dies;
   * `durable`: a consumer commits what it has stored (else reading counts as committed).
   */
  spool?: { dir: string; durable: boolean };
}

/**
 * Our side of one process's stdio FIFOs. Streams are usable at once; output starts flowing
 * after attach(). close() releases every fd (the FIFOs stay on disk for a later reopen).
 */
export class TaskIO {
  readonly paths: StdioPaths;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable | undefined;
  /** Pipe buffer size in effect on stdout (0 when unknown). */
  readonly pipeSize: number;
  private keepers: number[];
  private readers: net.Socket[] = [];
  private stdinSocket: net.Socket | undefined;
  private readonly terminal: boolean;
  private readonly spoolOpts: TaskIOOptions['spool'];
  /** Set after attach() when output goes through spool files. */
  spool: SpooledOutput | undefined;

  constructor(
    paths: StdioPaths,
    keepers: number[],
    pipeSize: number,
    terminal: boolean,
    stdinFd: number | undefined,
    spool?: TaskIOOptions['spool'],
  ) {
    this.paths = paths;
    this.keepers = keepers;
    this.pipeSize = pipeSize;
    this.terminal = terminal;
    this.spoolOpts = spool;
    this.stdout = new PassThrough();
    this.stderr = new PassThrough();
    if (stdinFd !== undefined) {
      this.stdinSocket = fifoSocket(stdinFd, 'w');
      this.stdinSocket.on('error', () => {}); // the shim gone: writes fail, nothing to crash
      this.stdin = this.stdinSocket;
    } else {
      this.stdin = undefined;
    }
  }

  /** Opens the real readers and drops the keepers. Call after the shim's Create/Exec returned. */
  attach(): void {
    if (this.readers.length || this.spool) return;
    const outs: [string, PassThrough][] = [[this.paths.stdout, this.stdout as PassThrough]];
    if (!this.terminal) outs.push([this.paths.stderr, this.stderr as PassThrough]);
    else (this.stderr as PassThrough).end();
    if (this.spoolOpts) {
      const fifos = outs.map(([path], i) => ({
        name: i === 0 ? ('stdout' as const) : ('stderr' as const),
        path,
        fd: openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK),
      }));
      this.spool = new SpooledOutput({ dir: this.spoolOpts.dir, fifos, durable: this.spoolOpts.durable });
      const streams = [this.spool.stdout, this.spool.stderr];
      outs.forEach(([, sink], i) => {
        const src = streams[i]!;
        src.on('error', (err) => sink.destroy(err));
        src.pipe(sink);
      });
      this.closeKeepers();
      return;
    }
    for (const [path, sink] of outs) {
      const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
      const sock = fifoSocket(fd, 'r');
      sock.on('error', (err) => sink.destroy(err));
      sock.pipe(sink);
      this.readers.push(sock);
    }
    this.closeKeepers();
  }

  private closeKeepers(): void {
    for (const fd of this.keepers) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    this.keepers = [];
  }

  /** Releases all fds; readers end their streams without error. */
  close(): void {
    this.closeKeepers();
    for (const r of this.readers) r.destroy();
    this.readers = [];
    this.spool?.close();
    this.stdinSocket?.destroy();
    (this.stdout as PassThrough).end();
    (this.stderr as PassThrough).end();
  }
}

/** Step 1: creates the FIFOs and holds them open for the shim's Create/Exec. */
export async function createTaskIO(paths: StdioPaths, opts: TaskIOOptions = {}): Promise<TaskIO> {
  const made = [paths.stdout, paths.stderr, ...(paths.stdin ? [paths.stdin] : [])];
  for (const p of made) await mkfifo(p);
  const keepers: number[] = [];
  let stdinFd: number | undefined;
  try {
    for (const p of [paths.stdout, paths.stderr]) keepers.push(openSync(p, fsc.O_RDWR));
    const want = opts.pipeSize ?? DEFAULT_PIPE_SIZE;
    const size = raisePipeSize(keepers[0], want);
    raisePipeSize(keepers[1], want);
    if (paths.stdin) stdinFd = openSync(paths.stdin, fsc.O_RDWR);
    return new TaskIO(paths, keepers, size, opts.terminal ?? false, stdinFd, opts.spool);
  } catch (err) {
    for (const fd of keepers) closeSync(fd);
    throw err;
  }
}

/**
 * Reattaches to FIFOs that a shim already holds (after a berthd restart). A FIFO whose
 * writer is gone reads EOF at once; data still buffered in a live pipe is delivered.
 */
export async function reopenTaskIO(paths: StdioPaths, opts: TaskIOOptions = {}): Promise<TaskIO> {
  for (const p of [paths.stdout, paths.stderr, ...(paths.stdin ? [paths.stdin] : [])]) {
    const st = await fsp.lstat(p);
    if (!st.isFIFO()) throw invalidArgument(`${p} is not a FIFO`);
  }
  const stdinFd = paths.stdin ? openSync(paths.stdin, fsc.O_RDWR) : undefined;
  const io = new TaskIO(paths, [], 0, opts.terminal ?? false, stdinFd, opts.spool);
  io.attach();
  return io;
}

/** Removes the FIFOs of one process (missing ones are fine). */
export async function removeFifos(paths: StdioPaths): Promise<void> {
  for (const p of [paths.stdin, paths.stdout, paths.stderr]) {
    if (p) await fsp.rm(p, { force: true });
  }
}
