// The durable step cache: <data-root>/build/cache/<key> holds the image ID a step made.
// Written atomically after the image is recorded, so a crash leaves either no record or
// one naming a complete image; a record whose image was removed is a miss.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Digest } from '../../common/digest.ts';
import { writeFileAtomic } from '../../sys/atomic.ts';
import type { ImageStore } from '../../images/store.ts';

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
    return this.images.get(id as Digest) ? id : undefined;
  }

  async put(key: string, image: string): Promise<void> {
    await writeFileAtomic(join(this.dir, key), image + '\n', 0o600);
  }
}
