// POST /build's answers, the build cache (system df, POST /build/prune), and Berth's own
// incremental context transfer (POST /build/context; not part of Docker's API).
import type { OpenString } from './common.ts';

/** One build-cache record (GET /system/df BuildCache). */
export interface BuildCache {
  ID: string;
  Parent?: string;
  Parents?: string[] | null;
  Type: OpenString<'internal' | 'frontend' | 'source.local' | 'source.git.checkout' | 'exec.cachemount' | 'regular'>;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  /** RFC 3339. */
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

export interface BuildPruneResponse {
  CachesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** A file of the context as `berth build` walked it. */
export interface BuildContextEntry {
  /** Cleaned relative name, a directory before its contents. */
  name: string;
  type: OpenString<'file' | 'dir' | 'symlink'>;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time in milliseconds (fractions kept): with size, what says "changed". */
  mtime: number;
  linkname: string;
}

/** POST /build/context?key=…: the context's manifest. */
export interface BuildContextManifest {
  entries: BuildContextEntry[];
}

/** The answer: a session for POST /build?berthcontext=, and the names whose bytes it must carry. */
export interface BuildContextOffer {
  session: string;
  need: string[];
}

/** POST /build's outputs (API 1.40+): where the result goes. */
export interface BuildOutput {
  Type?: string;
  Attrs?: Record<string, string>;
}
