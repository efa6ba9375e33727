// The build context as one pass over its tar: every entry's cleaned name, metadata and
// content hash (so the cache keys on content, never mtimes), plus the Dockerfile's and
// .dockerignore's text. The tar itself is kept by the caller (spooled) and re-read only
// when a COPY actually has to run.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import { TarReader, type TarEntryType } from '../../tar/reader.ts';
import { posix } from 'node:path';

export interface ContextEntry {
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string;
  /** sha256 hex of the body for files; '' otherwise. */
  hash: string;
  /** A file that starts like a tar or a compressed stream (ADD extracts those). */
  archive: boolean;
}

export interface ContextIndex {
  /** Cleaned relative name ('' never appears) → entry. */
  entries: Map<string, ContextEntry>;
  /** Captured small files (the Dockerfile, .dockerignore) by cleaned name. */
  captured: Map<string, Buffer>;
}

const CAPTURE_MAX = 16 << 20;

/** Docker's relative-name cleaning for context entries; names climbing out are refused. */
export function contextName(name: string): string {
  const n = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  if (n === '..' || n.startsWith('../'))
    throw invalidArgument(`invalid build context entry ${JSON.stringify(name)}: outside the context`);
  return n;
}

/** Reads the (decompressed) context tar once; `capture` names files whose bytes are kept. */
export async function indexContext(
  tar: Readable | AsyncIterable<Buffer>,
  capture: string[],
  onData?: (c: Buffer) => void,
): Promise<ContextIndex> {
  const reader = new TarReader(tar, { onData });
  const entries = new Map<string, ContextEntry>();
  const captured = new Map<string, Buffer>();
  const want = new Set(capture.map((c) => contextName(c)));
  for (;;) {
    const e = await reader.next();
    if (!e) break;
    const h = e.header;
    const name = contextName(h.name);
    if (name === '') continue;
    let hash = '';
    let archive = false;
    if (h.type === 'file') {
      const sha = createHash('sha256');
      const keep = want.has(name) && h.size <= CAPTURE_MAX ? ([] as Buffer[]) : undefined;
      let first = true;
      for await (const c of e.body) {
        if (first) archive = looksLikeArchive(c);
        first = false;
        sha.update(c);
        keep?.push(c);
      }
      hash = sha.digest('hex');
      if (keep) captured.set(name, Buffer.concat(keep));
    }
    entries.set(name, {
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      size: h.size,
      linkname: h.linkname,
      hash,
      archive,
    });
  }
  return { entries, captured };
}

/** gzip, bzip2, xz, zstd magic or a ustar header: what Docker's ADD treats as an archive. */
export function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}
