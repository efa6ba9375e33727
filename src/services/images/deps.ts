import type { Readable } from 'node:stream';
import type { Digest } from '../../common/digest.ts';
import type { Logger } from '../../common/logger.ts';
import type { ContentStore } from '../../content/store.ts';
import type { EventBus } from '../../events/bus.ts';
import type { ImageStore } from '../../images/store.ts';
import type { ContainerStore } from '../../containers/store.ts';

/** A layer unpacked but not yet committed (pulls unpack several at once, commit in order). */
export interface ExtractedLayer {
  readonly diffId: Digest;
}

/**
 * The layer store as the image services fill it. register(parent, tar) = extract + commit:
 * a layer's chain ID is its diff ID (the uncompressed tar's digest) on top of its parent's
 * (OCI's chain ID); registering a chain that exists, concurrently or not, yields that one
 * layer. A pull extracts layers in any order and commits them in order, with deferSync,
 * then flushes once: a deferred commit that was never flushed is gone after a restart.
 * remove() drops a layer nothing builds on (a parent stays; an unknown one is a no-op).
 * Contract: services/testing/layers-conformance.ts.
 */
export interface LayerRegistry {
  register(parent: Digest | null, tar: Readable): Promise<{ chainId: Digest; diffId: Digest; size: number }>;
  extract(tar: Readable): Promise<ExtractedLayer>;
  /** deferSync: durable only after flush() (a pull flushes once, before recording its image). */
  commit(
    x: ExtractedLayer,
    parent: Digest | null,
    opts?: { deferSync?: boolean },
  ): Promise<{ chainId: Digest; diffId: Digest; size: number }>;
  discard(x: ExtractedLayer): Promise<void>;
  flush(chainIds: Digest[]): Promise<void>;
  size(chainId: Digest): number;
  has(chainId: Digest): boolean;
  remove(chainId: Digest): Promise<void>;
  list(): Digest[];
  diffDir(chainId: Digest): string;
}

export interface ImageDeps {
  readonly images: ImageStore;
  readonly content: ContentStore;
  readonly layers: LayerRegistry;
  readonly containers: ContainerStore;
  readonly events: EventBus;
  readonly log: Logger;
  /** Decompresses gzip/zstd/bzip2/xz or passes a plain stream through. */
  readonly decompress: (src: Readable) => Promise<Readable>;
}

/** Docker's platform names for Node's arch. */
export function dockerArch(arch = process.arch): string {
  return (
    (
      {
        x64: 'amd64',
        arm64: 'arm64',
        arm: 'arm',
        ia32: '386',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[arch] ?? arch
  );
}
