// A layer blob read while it is still downloading: the download reports how many bytes
// it has written to its ingest file, and a follower streams them to the layer register
// as they land, so a layer is unpacked while it downloads. The download still verifies
// the digest at the end; the follower fails if the download restarts from zero.
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { internal } from '../../common/errors.ts';

export class Growth {
  readonly tmpPath: string;
  readonly size: number;
  written = 0;
  restarted = false;
  failed: unknown;
  private waiters: (() => void)[] = [];

  constructor(tmpPath: string, size: number) {
    this.tmpPath = tmpPath;
    this.size = size;
  }

  update(n: number): void {
    if (n < this.written) this.restarted = true;
    this.written = n;
    this.wake();
  }

  fail(err: unknown): void {
    this.failed = err ?? new Error('download failed');
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
}

/** Streams the blob's bytes as they are written; undefined when the file is already gone (published). */
export async function follow(g: Growth): Promise<Readable | undefined> {
  let fh;
  try {
    fh = await open(g.tmpPath, 'r');
  } catch {
    return undefined;
  }
  const file = fh;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      let off = 0;
      while (off < g.size) {
        if (g.restarted) throw internal('download restarted from the beginning');
        if (g.failed) throw g.failed;
        if (off >= g.written) {
          await g.wait();
          continue;
        }
        const n = Math.min(g.written - off, 1 << 20);
        const b = Buffer.allocUnsafe(n);
        const { bytesRead } = await file.read(b, 0, n, off);
        if (bytesRead === 0) throw internal('ingest file shorter than reported');
        off += bytesRead;
        yield b.subarray(0, bytesRead);
      }
    } finally {
      await file.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
