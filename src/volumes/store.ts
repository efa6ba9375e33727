// Volume records on disk, one directory per volume (Docker's layout):
//
//   <root>/<name>/volume.json   the record (atomic write)
//   <root>/<name>/_data/        the local driver's data (absent for plugin volumes)
//   <root>/<name>/copyup.json   a copy-up in progress (see copy-up-marker.ts)
//
// Creation is one rename: the directory is made and filled as `.tmp-<name>-<rand>`, fsynced,
// then renamed into place, so after a crash a volume either exists whole or not at all.
// Removal is the reverse: one rename to `.trash-<name>-<rand>` takes the volume off the
// books, then the files go. Leftovers of either are swept at load. Nothing mounted below a
// volume's directory is ever deleted through: mounts are detached first and the removal
// refuses to run while any remain.
import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, errnoCode, internal } from '../common/errors.ts';
import { loadRecordDir, type Quarantined } from '../metadata/record-dir.ts';
import { fsyncDir } from '../sys/atomic.ts';
import { mountsUnder, unmountRecursive } from '../sys/mountinfo.ts';
import { isVolumeRecord, type VolumeRecord } from './record.ts';

export const DATA_DIR = '_data';
const RECORD_FILE = 'volume.json';
const STAGING_PREFIX = '.tmp-';
const TRASH_PREFIX = '.trash-';

export class VolumeStore {
  /** <data-root>/volumes */
  readonly root: string;
  private readonly records = new Map<string, VolumeRecord>();
  /** File deletions still running for removals that returned early. */
  private readonly deleting = new Set<Promise<void>>();

  /** Who a new local volume's data directory belongs to (userns-remap: the remapped root). */
  private readonly dataOwner?: { uid: number; gid: number };

  constructor(root: string, dataOwner?: { uid: number; gid: number }) {
    this.root = root;
    this.dataOwner = dataOwner;
  }

  /** Sweeps interrupted creates and removals, then loads every record (damaged ones are quarantined). */
  async load(): Promise<Quarantined[]> {
    // 0701 as Docker's: others may traverse to a volume's data, never list the volumes.
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    for (const n of await readdir(this.root)) {
      if (n.startsWith(STAGING_PREFIX) || n.startsWith(TRASH_PREFIX)) await removeTree(join(this.root, n));
    }
    const { records, quarantined } = await loadRecordDir(this.root, RECORD_FILE, 'volume', isVolumeRecord);
    for (const [entry, r] of records) {
      if (r.name !== entry) {
        quarantined.push({ path: join(this.root, entry), reason: `volume ${entry}: record names ${r.name}` });
        continue;
      }
      this.records.set(r.name, r);
    }
    return quarantined;
  }

  get(name: string): VolumeRecord | undefined {
    return this.records.get(name);
  }

  list(): VolumeRecord[] {
    return [...this.records.values()];
  }

  dir(name: string): string {
    return join(this.root, name);
  }

  /** Where the local driver keeps a volume's data. */
  dataPath(name: string): string {
    return join(this.root, name, DATA_DIR);
  }

  /**
   * Makes a volume's directory (with `_data` when `withData`) and record in one step.
   * The caller holds the volume's lock; an existing directory is a conflict.
   */
  async create(record: VolumeRecord, withData: boolean): Promise<void> {
    if (this.records.has(record.name)) throw conflict(`volume ${record.name} already exists`);
    const stage = join(this.root, `${STAGING_PREFIX}${record.name}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(stage, { mode: 0o701 });
      if (withData) await mkdir(join(stage, DATA_DIR), { mode: 0o755 });
      if (withData && this.dataOwner) await chown(join(stage, DATA_DIR), this.dataOwner.uid, this.dataOwner.gid);
      // The staging directory is ours alone: the record is written in place, and it and the
      // directory's entries are made durable together before the one rename publishes them.
      const fh = await open(join(stage, RECORD_FILE), 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(record) + '\n');
        await Promise.all([fh.sync(), fsyncDir(stage)]);
      } finally {
        await fh.close();
      }
      await rename(stage, this.dir(record.name));
    } catch (err) {
      await rm(stage, { recursive: true, force: true }).catch(() => {});
      if (errnoCode(err) === 'ENOTEMPTY' || errnoCode(err) === 'EEXIST')
        throw conflict(`volume ${record.name}: a directory of that name is in the way`, err);
      throw err;
    }
    await fsyncDir(this.root);
    this.records.set(record.name, record);
  }

  /**
   * Takes a volume off the books (one rename), then deletes its files — in the background
   * with `background` (a crash before the end leaves trash that load() sweeps).
   */
  async remove(name: string, opts: { background?: boolean } = {}): Promise<void> {
    if (!this.records.has(name)) return;
    // A mount left on `_data` (a local volume with mount options) must go before anything
    // below it is deleted: removing through it would delete the mounted filesystem's files.
    // Mounts move with the rename, and only berthd mounts here (under the volume's lock):
    // checked once, before it.
    if (mountsUnder(this.dir(name)).length > 0) {
      unmountRecursive(this.dir(name));
      if (mountsUnder(this.dir(name)).length > 0)
        throw internal(`refusing to remove volume ${name}: something is still mounted below it`);
    }
    const trash = join(this.root, `${TRASH_PREFIX}${name}-${randomBytes(6).toString('hex')}`);
    await rename(this.dir(name), trash);
    await fsyncDir(this.root);
    this.records.delete(name);
    const done = rm(trash, { recursive: true, force: true });
    if (!opts.background) return done;
    const tracked = done.catch(() => {}).finally(() => this.deleting.delete(tracked));
    this.deleting.add(tracked);
  }

  /** Waits for background deletions (daemon shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.deleting]);
  }
}

/**
 * Deletes a tree that may have had mounts on it. fs.rm never follows a symlink it meets
 * (a `_data` replaced by a link to `/` is unlinked, not walked); mounts are detached first
 * and the delete refuses to run while one remains.
 */
export async function removeTree(path: string): Promise<void> {
  unmountRecursive(path);
  if (mountsUnder(path).length > 0) throw internal(`refusing to delete ${path}: something is still mounted below it`);
  await rm(path, { recursive: true, force: true });
}
