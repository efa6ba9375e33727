// Copy-up is crash-safe through an intent marker: before the first byte is copied,
// `<volume dir>/copyup.json` names the entries the copy will add (copy-up only ever runs
// into an empty volume, so these are all the volume will hold). It is removed only after
// the copy and a syncfs. A marker found later means the copy was cut short: those entries
// are removed again, leaving the volume empty — and the next container that wants the
// image's content copies it anew. A volume is never left half copied and taken for done.
import { closeSync, constants, openSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotExist } from '../common/errors.ts';
import { readRecord, writeRecord } from '../metadata/record-dir.ts';
import { fsyncDir } from '../sys/atomic.ts';
import { atPath, fdPath } from '../sys/inroot.ts';
import { syncfsAsync } from '../sys/libc.ts';
import { copyTree, type CopyResult, type MapIds } from './copy-tree.ts';

const MARKER = 'copyup.json';

interface Marker {
  names: string[];
}

export async function readMarker(volumeDir: string): Promise<string[] | undefined> {
  try {
    const m = await readRecord<Marker>(join(volumeDir, MARKER));
    return m && Array.isArray(m.names) ? m.names.filter((n) => typeof n === 'string') : m ? [] : undefined;
  } catch (err) {
    if (isNotExist(err)) return undefined;
    return []; // torn: nothing was copied before the marker was whole
  }
}

/** Removes what an interrupted copy-up added to the data directory `dataFd`, then the marker. */
export async function undoCopyUp(volumeDir: string, dataFd: number, names: string[]): Promise<void> {
  for (const n of names) {
    if (n === '' || n === '.' || n === '..' || n.includes('/')) continue;
    // fs.rm unlinks symlinks it meets and never follows them.
    rmSync(atPath(dataFd, n), { recursive: true, force: true });
  }
  await rm(join(volumeDir, MARKER), { force: true });
  await fsyncDir(volumeDir);
}

/** Whether a directory (by fd) has no entries. */
export const isEmptyDir = (dirFd: number) => readdirSync(fdPath(dirFd)).length === 0;

/**
 * Copies the directory `srcFd` into the empty data directory `dataFd` of the volume whose
 * record directory is `volumeDir`, under the marker protocol above.
 */
export async function copyUp(volumeDir: string, srcFd: number, dataFd: number, mapIds?: MapIds): Promise<CopyResult> {
  await writeRecord(join(volumeDir, MARKER), { names: readdirSync(fdPath(srcFd)) } satisfies Marker);
  const result = await copyTree(srcFd, dataFd, mapIds);
  // Durable before the marker goes: after a power cut, no marker means a whole copy.
  const syncFd = openSync(fdPath(dataFd), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await syncfsAsync(syncFd);
  } finally {
    closeSync(syncFd);
  }
  await rm(join(volumeDir, MARKER), { force: true });
  await fsyncDir(volumeDir);
  return result;
}
