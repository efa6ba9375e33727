// What the executor needs from the engine. services/build wires these to the container,
// image and commit services; unit tests use fakes. The executor owns no resources itself:
// every container it asks for is handed back to remove() (or kept, with --rm=false).
import type { Readable } from 'node:stream';
import type { HistoryEntry, RunConfig } from '../../oci/image-spec.ts';

export interface BaseImage {
  id: string;
  config: RunConfig;
  history: HistoryEntry[];
  /** diff_ids count: a layer-free image (scratch) has none. */
  layers: number;
}

export interface RunRequest {
  image: string;
  config: RunConfig;
  network?: string;
  extraHosts?: string[];
  shmSize?: number;
  ulimits?: { Name: string; Soft: number; Hard: number }[];
  /** `source:target[:ro]` binds from prepareMounts(). */
  binds?: string[];
}

/** A RUN --mount resolved by the executor: what the engine mounts into one step container. */
export type StepMount =
  | {
      type: 'cache';
      target: string;
      id: string;
      sharing: 'shared' | 'private' | 'locked';
      readonly: boolean;
      mode: number;
      uid: number;
      gid: number;
    }
  /** A stage's or image's filesystem at `path` (`rw`: writes go to a throw-away upper dir). */
  | { type: 'bind'; target: string; readonly: boolean; image: string; path: string }
  /** Context files: `tar()` is extracted into a private directory, `path` of it is bound. */
  | { type: 'bind'; target: string; readonly: boolean; tar: () => Promise<Readable>; path: string }
  /** A file on a private tmpfs; the value lives only in memory. */
  | { type: 'secret'; target: string; data: Buffer; mode: number; uid: number; gid: number }
  | { type: 'tmpfs'; target: string; size?: number }
  /** A file the build writes (a `RUN <<EOF` script with a #! line), bound read-only. */
  | { type: 'file'; target: string; data: Buffer; mode: number };

/**
 * What prepareMounts() set up for one step container. Lifecycle: prepareMounts() → create
 * the container with `binds` → run → release() (unmounts and removes everything it made,
 * drops cache locks; idempotent). A berthd killed in between: swept at start-up.
 */
export interface StepMounts {
  binds: string[];
  release(): Promise<void>;
}

export interface BuildPorts {
  /** An image by name or ID; pulled when missing (or always with `pull`). */
  resolveImage(
    name: string,
    opts: { pull: boolean; platform?: string },
    signal: AbortSignal,
    emit: (line: string) => void,
  ): Promise<BaseImage>;
  /** Creates a container (not started) for a step. `image` '' is scratch. */
  create(req: RunRequest): Promise<string>;
  /** Sets up RUN --mount sources (cache dirs, context/stage binds, secrets, tmpfs). */
  prepareMounts(mounts: StepMount[], signal: AbortSignal): Promise<StepMounts>;
  /** Starts it, streams its output, resolves with its exit code. */
  run(container: string, out: (chunk: Buffer) => void, signal: AbortSignal): Promise<number>;
  /** A tar of `path` in an image (its base name as the top entry), for COPY --from. */
  copyFromImage(image: string, path: string, signal: AbortSignal): Promise<Readable>;
  /** Whether `path` is a directory in the image (false when missing). */
  isDir(image: string, path: string): Promise<boolean>;
  /** uid/gid for a `--chown` spec, names looked up in the image's /etc/passwd and /etc/group. */
  lookupUser(image: string, spec: string): Promise<{ uid: number; gid: number }>;
  /**
   * A new image: the container's changes as a layer (none when `container` is null or
   * nothing changed), on `parent` ('' for scratch), with `config` and one history entry.
   */
  commit(container: string | null, parent: string, config: RunConfig, history: HistoryEntry): Promise<string>;
  /** A new image from a layer tar on `parent` (COPY, ADD, WORKDIR: no container needed). */
  commitLayer(parent: string, tar: Readable, config: RunConfig, history: HistoryEntry): Promise<string>;
  /** Most bytes an ADD archive may expand to (half the data root's free space). */
  archiveLimit?(): Promise<number>;
  /** Decompresses gzip/bzip2/xz/zstd (ADD's local archives); plain tars pass through. */
  decompress(src: Readable): Promise<Readable>;
  remove(container: string): Promise<void>;
  /** Downloads an ADD URL to private storage (loopback only in tests); release() drops it. */
  download(url: string, signal: AbortSignal): Promise<Downloaded>;
  /** The durable step cache: key → image ID (undefined when missing or the image is gone). */
  cacheGet(key: string): Promise<string | undefined>;
  cachePut(key: string, image: string): Promise<void>;
  /** --cache-from: an image for this step from the named images' history (Docker's legacy rules). */
  cacheFrom?(sources: string[], parent: string, createdBy: string, config: RunConfig): Promise<string | undefined>;
  /**
   * With --cache-from, a local hit counts only when it is one of the named images or an
   * ancestor of one (moby's ImageCache.GetCache: the local cache is limited to the sources).
   */
  inCacheFromChain?(sources: string[], image: string): boolean;
}

/** A downloaded ADD URL: its size and sha256 (hex), and its bytes on demand. */
export interface Downloaded {
  size: number;
  sha256: string;
  lastModified?: string;
  open(): Readable;
  release(): Promise<void>;
}
