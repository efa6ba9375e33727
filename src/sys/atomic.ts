// Crash-safe file replacement: temp file in the same directory, write, fsync(file),
// rename, fsync(dir). After a power cut the path holds either the old or the new bytes.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const TEMP_PREFIX = '.tmp-';

/**
 * `durable: false` leaves out both fsyncs: the write is still all-or-nothing and survives
 * the process being killed (it is in the page cache), only not a power cut — for records
 * whose loss there leaves an older state start-up already handles.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.chmod(mode); // the umask must not narrow the requested mode
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  if (durable) await fsyncDir(dir);
}

/** Makes a directory's entries (creates, renames, unlinks) durable. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Startup sweep: deletes temp files left by writes interrupted by a crash. Returns their names. */
export async function removeTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(TEMP_PREFIX)) continue;
    await rm(join(dir, n), { force: true, recursive: true });
    removed.push(n);
  }
  return removed;
}
