// Content-addressable blob store: blobs/sha256/<hex>. Writes go through ingest/:
// stream -> hash -> fsync -> verify against the expected digest/size -> rename into place
// (fsync of the directory). "Already exists" is success. Readers never see partial blobs.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { fsyncDir } from '../sys/atomic.ts';
import { hexOf, type Digest } from '../common/digest.ts';
import { invalidArgument, isNotExist, notFound } from '../common/errors.ts';

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

export class ContentStore {
  readonly root: string;
  private readonly blobs: string;
  private readonly ingestDir: string;

  constructor(root: string) {
    this.root = root;
    this.blobs = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  async init(): Promise<void> {
    await mkdir(this.blobs, { recursive: true, mode: 0o700 });
    // Leftover ingests belong to writes that never finished (a crash): drop them.
    await rm(this.ingestDir, { recursive: true, force: true });
    await mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  path(digest: Digest): string {
    return join(this.blobs, hexOf(digest));
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.path(digest));
      return { digest, size: s.size };
    } catch (err) {
      if (isNotExist(err)) return undefined;
      throw err;
    }
  }

  async readBytes(digest: Digest, maxBytes = 20 << 20): Promise<Buffer> {
    const info = await this.info(digest);
    if (!info) throw notFound(`content ${digest} not found`);
    if (info.size > maxBytes) throw invalidArgument(`content ${digest} is larger than ${maxBytes} bytes`);
    return readFile(this.path(digest));
  }

  readStream(digest: Digest): Readable {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Writes a small blob held in memory. */
  async put(data: Buffer | string): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return this.ingest(async (write) => {
      write(buf);
    });
  }

  /**
   * A writable that hashes what passes through; `commit()` verifies and publishes it.
   * Use for teeing a stream that something else also consumes (layer import).
   */
  async openWriter(expected?: { digest?: Digest; size?: number }): Promise<BlobWriter> {
    const tmp = join(this.ingestDir, randomBytes(12).toString('hex'));
    return new BlobWriter(tmp, this, expected);
  }

  private async ingest(fill: (write: (b: Buffer) => void) => Promise<void>): Promise<BlobInfo> {
    const w = await this.openWriter();
    await fill((b) => w.update(b));
    return w.commit();
  }

  async ingestStream(src: Readable, expected?: { digest?: Digest; size?: number }): Promise<BlobInfo> {
    const w = await this.openWriter(expected);
    try {
      await pipeline(src, w.transform(), createWriteStream(w.tmpPath, { mode: 0o600 }));
      return await w.commitFile();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Moves a verified temp file into place. */
  async publish(tmp: string, digest: Digest): Promise<void> {
    const dest = this.path(digest);
    await rename(tmp, dest);
    await fsyncDir(this.blobs);
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobs);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}` as Digest);
  }
}

export class BlobWriter {
  readonly tmpPath: string;
  private readonly store: ContentStore;
  private readonly expected?: { digest?: Digest; size?: number };
  private readonly hash = createHash('sha256');
  private size = 0;
  private chunks: Buffer[] | undefined = [];

  constructor(tmpPath: string, store: ContentStore, expected?: { digest?: Digest; size?: number }) {
    this.tmpPath = tmpPath;
    this.store = store;
    this.expected = expected;
  }

  update(b: Buffer): void {
    this.hash.update(b);
    this.size += b.length;
    this.chunks?.push(b);
  }

  /** A pass-through that hashes; the data itself goes to the file at tmpPath. */
  transform(): Transform {
    this.chunks = undefined;
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.update(chunk);
        cb(null, chunk);
      },
    });
  }

  private verify(): Digest {
    const digest = `sha256:${this.hash.digest('hex')}` as Digest;
    if (this.expected?.size !== undefined && this.expected.size !== this.size) {
      throw invalidArgument(`size mismatch for ${digest}: expected ${this.expected.size}, got ${this.size}`);
    }
    if (this.expected?.digest && this.expected.digest !== digest) {
      throw invalidArgument(`digest mismatch: expected ${this.expected.digest}, got ${digest}`);
    }
    return digest;
  }

  /** For in-memory writers: writes the collected chunks then publishes. */
  async commit(): Promise<BlobInfo> {
    const digest = this.verify();
    const data = Buffer.concat(this.chunks ?? []);
    const fh = await open(this.tmpPath, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.store.publish(this.tmpPath, digest);
    return { digest, size: this.size };
  }

  /** For streamed writers: the file at tmpPath is complete; fsync, verify, publish. */
  async commitFile(): Promise<BlobInfo> {
    try {
      const digest = this.verify();
      const fh = await open(this.tmpPath, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.store.publish(this.tmpPath, digest);
      return { digest, size: this.size };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    await rm(this.tmpPath, { force: true });
  }
}
