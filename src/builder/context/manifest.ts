// The build context described without its bytes: what `berth build` sends first so berthd
// asks only for the files it does not already hold (BuildKit's incremental transfer, over
// two plain requests). Pure: checking and comparing manifests touches nothing.
import { invalidArgument } from '../../common/errors.ts';
import { contextName } from './index.ts';
import type { BuildContextEntry } from '../../api/types/build.ts';

/** An entry of the manifest `berth build` sends (POST /build/context), checked. */
export type ManifestEntry = BuildContextEntry & { type: 'file' | 'dir' | 'symlink' };

const TYPES = new Set(['file', 'dir', 'symlink']);
const MAX_ENTRIES = 1_000_000;

/** Validates a manifest from the wire: every field typed, names clean and unique. */
export function checkManifest(v: unknown): ManifestEntry[] {
  const list = (v as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(list)) throw invalidArgument('context manifest: "entries" must be an array');
  if (list.length > MAX_ENTRIES) throw invalidArgument(`context manifest: more than ${MAX_ENTRIES} entries`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const e = raw as Partial<ManifestEntry> | null;
    const bad = (what: string) => invalidArgument(`context manifest entry ${i}: ${what}`);
    if (!e || typeof e !== 'object') throw bad('not an object');
    if (typeof e.name !== 'string' || !e.name) throw bad('name missing');
    const name = contextName(e.name);
    if (name !== e.name) throw bad(`name ${JSON.stringify(e.name)} is not clean`);
    if (seen.has(name)) throw bad(`${name} appears twice`);
    seen.add(name);
    if (typeof e.type !== 'string' || !TYPES.has(e.type)) throw bad(`type of ${name}`);
    for (const k of ['mode', 'uid', 'gid', 'size'] as const) {
      if (!Number.isSafeInteger(e[k]) || (e[k] as number) < 0) throw bad(`${k} of ${name}`);
    }
    if (typeof e.mtime !== 'number' || !Number.isFinite(e.mtime)) throw bad(`mtime of ${name}`);
    if (e.type === 'symlink' && typeof e.linkname !== 'string') throw bad(`linkname of ${name}`);
    return {
      name,
      type: e.type,
      mode: e.mode!,
      uid: e.uid!,
      gid: e.gid!,
      size: e.size!,
      mtime: e.mtime,
      linkname: e.type === 'symlink' ? e.linkname! : '',
    };
  });
}

/** A file whose size, mtime and mode match what is held needs no transfer (BuildKit's rule). */
export function unchanged(held: ManifestEntry | undefined, now: ManifestEntry): boolean {
  return (
    held !== undefined &&
    held.type === 'file' &&
    now.type === 'file' &&
    held.size === now.size &&
    held.mtime === now.mtime &&
    held.mode === now.mode
  );
}
