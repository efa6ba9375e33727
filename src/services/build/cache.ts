// The durable step cache: <data-root>/build/cache/<key> holds the image ID a step made.
// Written atomically after the image is recorded, so a crash leaves either no record or
// one naming a complete image; a record whose image was removed is a miss. A record's
// mtime is when it was last used (touched on every hit), for prune's `until` and df.
import { readFile, readdir, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Digest } from '../../common/digest.ts';
import { writeFileAtomic } from '../../sys/atomic.ts';
import type { ImageStore } from '../../images/store.ts';

export interface CacheRecord {
  key: string;
  image: string;
  lastUsed: number;
}

export class BuildCache {
  private readonly dir: string;
  private readonly images: ImageStore;
  constructor(buildDir: string, images: ImageStore) {
    this.dir = join(buildDir, 'cache');
    this.images = images;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  async get(key: string): Promise<string | undefined> {
    let id: string;
    try {
      id = (await readFile(join(this.dir, key), 'utf8')).trim();
    } catch {
      return undefined;
    }
    if (!this.images.get(id as Digest)) return undefined;
    const now = new Date();
    await utimes(join(this.dir, key), now, now).catch(() => {});
    return id;
  }

  async put(key: string, image: string): Promise<void> {
    await writeFileAtomic(join(this.dir, key), image + '\n', 0o600);
  }

  /** Every record (stale ones, whose image is gone, included with image ''). */
  async list(): Promise<CacheRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: CacheRecord[] = [];
    for (const key of names) {
      if (!/^[0-9a-f]{64}$/.test(key)) continue;
      try {
        const [text, st] = await Promise.all([readFile(join(this.dir, key), 'utf8'), stat(join(this.dir, key))]);
        const id = text.trim();
        out.push({ key, image: this.images.get(id as Digest) ? id : '', lastUsed: st.mtimeMs });
      } catch {
        /* removed meanwhile */
      }
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await unlink(join(this.dir, key)).catch(() => {});
  }
}
