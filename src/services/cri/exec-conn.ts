// A connection for the exec and attach services that is not a socket: stdout/stderr frames
// (Docker's 8-byte stdcopy headers) written to it are split and handed on; what it reads
// is the client's stdin. The CRI's ExecSync and streaming server drive execs through it.
// A sink that returns a promise holds the writer back until it resolves (backpressure).
import { Duplex, type Readable, type Writable } from 'node:stream';
import { whenDrained } from '../../common/drain.ts';

export type OutputSink = (stream: 1 | 2, chunk: Buffer) => void | Promise<void>;

export class ExecConn extends Duplex {
  private pending: Buffer = Buffer.alloc(0);
  private readonly sink: OutputSink;
  private readonly framed: boolean;
  private readonly stdin: Readable | undefined;

  constructor(sink: OutputSink, opts: { framed: boolean; stdin?: Readable }) {
    super({ allowHalfOpen: true });
    this.sink = sink;
    this.framed = opts.framed;
    const stdin = opts.stdin;
    this.stdin = stdin;
    if (stdin) {
      stdin.on('data', (b: Buffer) => {
        if (!this.push(b)) stdin.pause();
      });
      stdin.once('end', () => this.push(null));
      stdin.once('error', () => this.push(null));
      stdin.once('close', () => this.push(null));
    } else this.push(null);
  }

  override _read(): void {
    this.stdin?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const waits: Promise<void>[] = [];
    const hand = (stream: 1 | 2, b: Buffer) => {
      const r = this.sink(stream, b);
      if (r) waits.push(r);
    };
    if (!this.framed) hand(1, chunk);
    else {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      while (this.pending.length >= 8) {
        const size = this.pending.readUInt32BE(4);
        if (this.pending.length < 8 + size) break;
        hand(this.pending[0] === 2 ? 2 : 1, this.pending.subarray(8, 8 + size));
        this.pending = this.pending.subarray(8 + size);
      }
    }
    if (waits.length) Promise.all(waits).then(() => cb(), cb);
    else cb();
  }
}

/** A sink half for a writable: a full one holds the output back until it drains or goes. */
export function writeWithBackpressure(w: Writable | undefined, chunk: Buffer): void | Promise<void> {
  if (!w || w.destroyed || w.writableEnded) return;
  if (w.write(chunk)) return;
  return new Promise((resolve) => whenDrained(w, resolve));
}

/** The connection for a streaming client: output to its stdout/stderr streams, held back while they are full. */
export function clientConn(io: { stdin?: Readable; stdout?: Writable; stderr?: Writable }, framed: boolean): ExecConn {
  return new ExecConn((stream, chunk) => writeWithBackpressure(stream === 2 ? io.stderr : io.stdout, chunk), {
    framed,
    stdin: io.stdin,
  });
}
