// Checks on the entries of a local archive ADD extracts, before any byte of theirs is
// written: names and links that climb out of the destination are refused with Docker's
// breakout messages (moby pkg/archive), and the sizes the headers declare are summed
// against a limit (half the data root's free space), so a decompression bomb fails at
// its first oversized header instead of filling the disk. The body is streamed, never held.
import { posix } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import type { TarHeader } from '../../tar/reader.ts';

export interface ArchiveGuard {
  /** The archive's name in the context, for messages. */
  source: string;
  /** Where it is extracted (absolute, cleaned). */
  dest: string;
  /** Most bytes its entries may declare in total. */
  limit: number;
  /** Bytes declared so far (the guard's running state). */
  declared: number;
}

const inside = (dest: string, p: string) => p === dest || p.startsWith(dest === '/' ? '/' : dest + '/');

export function checkArchiveEntry(g: ArchiveGuard, h: TarHeader): void {
  const path = posix.join(g.dest, h.name);
  if (!inside(g.dest, path))
    throw invalidArgument(
      `failed to extract ${g.source}: ${JSON.stringify(h.name)} is outside of ${JSON.stringify(g.dest)}`,
    );
  if (
    h.type === 'symlink' &&
    !h.linkname.startsWith('/') &&
    !inside(g.dest, posix.join(posix.dirname(path), h.linkname))
  ) {
    throw invalidArgument(
      `failed to extract ${g.source}: invalid symlink ${JSON.stringify(path)} -> ${JSON.stringify(h.linkname)}`,
    );
  }
  if (h.type === 'hardlink' && !inside(g.dest, posix.join(g.dest, h.linkname))) {
    throw invalidArgument(
      `failed to extract ${g.source}: invalid hardlink ${JSON.stringify(path)} -> ${JSON.stringify(h.linkname)}`,
    );
  }
  g.declared += h.size;
  if (g.declared > g.limit) {
    throw invalidArgument(
      `failed to extract ${g.source}: it expands to more than ${g.limit} bytes (half the free space in the data root); refusing a possible decompression bomb`,
    );
  }
}
