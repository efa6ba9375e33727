// A connection for the exec and attach services that is not a socket: stdout/stderr frames
// (Docker's 8-byte stdcopy headers) written to it are split and handed on; what it reads
// is the client's stdin. The CRI's ExecSync and streaming server drive execs through it.
import { Duplex, type Readable } from 'node:stream';

export type OutputSink = (stream: 1 | 2, chunk: Buffer) => void;

export class ExecConn extends Duplex {
  private pending: Buffer = Buffer.alloc(0);
  private readonly sink: OutputSink;
  private readonly framed: boolean;

  constructor(sink: OutputSink, opts: { framed: boolean; stdin?: Readable }) {
    super({ allowHalfOpen: true });
    this.sink = sink;
    this.framed = opts.framed;
    const stdin = opts.stdin;
    if (stdin) {
      stdin.on('data', (b: Buffer) => {
        if (!this.push(b)) stdin.pause();
      });
      stdin.once('end', () => this.push(null));
      stdin.once('error', () => this.push(null));
    } else this.push(null);
    this.stdin = stdin;
  }

  private readonly stdin: Readable | undefined;

  override _read(): void {
    this.stdin?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.framed) {
      this.sink(1, chunk);
      cb();
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const stream = this.pending[0] === 2 ? 2 : 1;
      this.sink(stream, this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
    cb();
  }
}
