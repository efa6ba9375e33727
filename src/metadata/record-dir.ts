// Durable JSON records, one file per object, written atomically (temp, fsync, rename,
// fsync dir). Loading never fails as a whole: an unreadable record is moved aside into
// `quarantine/` and reported, so one bad file cannot stop the daemon from starting.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../sys/atomic.ts';
import { isNotExist, messageOf } from '../common/errors.ts';

export const SCHEMA_VERSION = 1;

export interface Quarantined {
  readonly path: string;
  readonly reason: string;
}

/** Reads and parses a record; undefined when it does not exist. Throws on damage. */
export async function readRecord<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotExist(err)) return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** `durable: false`: see writeFileAtomic (atomic, survives a killed process, not a power cut). */
export async function writeRecord(path: string, value: unknown, opts: { durable?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 0) + '\n', 0o600, opts);
}

/** Renames a record's directory within `parent` and makes the rename durable. */
export async function renameRecordDir(parent: string, from: string, to: string): Promise<void> {
  await rename(join(parent, from), join(parent, to));
  await fsyncDir(parent);
}

/**
 * Loads `<dir>/<entry>/<file>` for every entry. Damaged entries are moved to
 * `<dir>/../quarantine/<kind>-<entry>-<time>` and listed in the result.
 */
export async function loadRecordDir<T>(
  dir: string,
  file: string,
  kind: string,
  validate: (v: unknown) => v is T,
): Promise<{ records: Map<string, T>; quarantined: Quarantined[] }> {
  const records = new Map<string, T>();
  const quarantined: Quarantined[] = [];
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (!isNotExist(err)) throw err;
  }
  await Promise.all(
    entries
      .filter((e) => !e.startsWith('.'))
      .map(async (entry) => {
        const path = join(dir, entry, file);
        try {
          const v = await readRecord<unknown>(path);
          if (v === undefined) throw new Error(`missing ${file}`);
          if (!validate(v)) throw new Error('record does not have the expected shape');
          records.set(entry, v);
        } catch (err) {
          quarantined.push(
            await quarantine(
              join(dir, entry),
              join(dir, '..', 'quarantine'),
              `${kind}-${entry}`,
              `${kind} ${entry}: ${messageOf(err)}`,
            ),
          );
        }
      }),
  );
  return { records, quarantined };
}

/** Moves a damaged record (file or directory) to `<qdir>/<name>-<time>` so it is kept for inspection but never loaded again. */
export async function quarantine(path: string, qdir: string, name: string, reason: string): Promise<Quarantined> {
  await mkdir(qdir, { recursive: true, mode: 0o700 });
  const dest = join(qdir, `${name}-${Date.now()}`);
  await rename(path, dest).catch(() => rm(path, { recursive: true, force: true }));
  return { path: dest, reason };
}
