// The receiving side of SPDY header compression: one zlib inflater per connection, primed
// with the SPDY dictionary, fed each header block in turn; a sync flush after each block
// yields exactly that block's name/value pairs.
import { constants, createInflate, type Inflate } from 'node:zlib';
import { invalidArgument } from '../../common/errors.ts';
import { SPDY3_DICTIONARY } from './dictionary.ts';

/** A header block never needs more; a bigger one is an attack on memory. */
const MAX_HEADER_BYTES = 256 << 10;

export class HeaderReader {
  private readonly inflater: Inflate;
  private out: Buffer[] = [];
  private size = 0;
  private failed: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.inflater = createInflate({ dictionary: SPDY3_DICTIONARY });
    this.inflater.on('data', (b: Buffer) => {
      this.size += b.length;
      if (this.size <= MAX_HEADER_BYTES) this.out.push(b);
    });
    this.inflater.on('error', (err) => (this.failed = err));
  }

  /** Decompresses one header block (in order: calls queue behind each other). */
  decompress(block: Buffer): Promise<Buffer> {
    const run = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) return reject(invalidArgument(`SPDY header block: ${this.failed.message}`));
          this.inflater.write(block);
          this.inflater.flush(constants.Z_SYNC_FLUSH, () => {
            let chunk: Buffer | null;
            while ((chunk = this.inflater.read() as Buffer | null) !== null) this.out.push(chunk);
            const size = this.size;
            const raw = Buffer.concat(this.out);
            this.out = [];
            this.size = 0;
            if (this.failed) reject(invalidArgument(`SPDY header block: ${this.failed.message}`));
            else if (size > MAX_HEADER_BYTES) reject(invalidArgument(`SPDY header block of ${size} bytes`));
            else resolve(raw);
          });
        }),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  close(): void {
    this.inflater.destroy();
  }
}
