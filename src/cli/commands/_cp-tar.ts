// The local side of `berth cp`: archive a host path, extract an archive under a host
// directory. Uses the project's own tar reader/writer (pure stream code); the CLI runs as
// the invoking user, and extraction refuses names and symlinked parents that would land
// outside the destination (the breakout checks Docker's CLI applies).
import {
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  chmodSync,
  lutimesSync,
  constants as fsc,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, posix, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { TarReader } from '../../tar/reader.ts';
import { TarWriter, type TarWriteEntry } from '../../tar/writer.ts';
import { CliError } from '../command.ts';

export interface LocalTarOptions {
  followLink: boolean;
  keepOwner: boolean;
}

/** A tar of `src` whose top entry is called `name`; written in the background. */
export function tarLocal(src: string, name: string, opts: LocalTarOptions): Readable {
  const w = new TarWriter();
  const owner = (st: { uid: number; gid: number }) =>
    opts.keepOwner ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 };
  const emit = async (path: string, arch: string, top: boolean): Promise<void> => {
    const st = top && opts.followLink ? statSync(path) : lstatSync(path);
    const base: Omit<TarWriteEntry, 'type'> = {
      name: arch,
      mode: st.mode & 0o7777,
      mtime: Math.floor(st.mtimeMs / 1000),
      ...owner(st),
    };
    if (st.isDirectory()) {
      await w.add({ ...base, name: `${arch}/`, type: 'dir' });
      for (const n of readdirSync(path).sort()) await emit(join(path, n), `${arch}/${n}`, false);
    } else if (st.isSymbolicLink()) await w.add({ ...base, type: 'symlink', linkname: readlinkSync(path) });
    else if (st.isFile()) await w.add({ ...base, type: 'file', size: st.size }, { path });
    else if (st.isFIFO()) await w.add({ ...base, type: 'fifo' });
  };
  void emit(src, name, true).then(
    () => w.finish(),
    (err: Error) => w.stream.destroy(err),
  );
  return w.stream;
}

/**
 * Extracts `tar` into `destDir`. With `rename`, a top-level entry called `rename.from`
 * (and everything below it) is written as `rename.to` instead.
 */
export async function extractLocal(
  tar: Readable,
  destDir: string,
  rename?: { from: string; to: string },
): Promise<void> {
  const root = realpathSync(destDir);
  const reader = new TarReader(tar);
  const uid = process.getuid?.() ?? 0;
  for (;;) {
    const e = await reader.next();
    if (!e) break;
    const h = e.header;
    let rel = posix.normalize(h.name.replace(/^\/+/, '')).replace(/\/+$/, '');
    if (rel === '.' || rel === '') continue;
    if (rel === '..' || rel.startsWith('../'))
      throw new CliError(`invalid tar entry ${JSON.stringify(h.name)}: outside the destination`, 1);
    if (rename) rel = renameTop(rel, rename);
    const target = join(root, rel);
    const parent = dirname(target);
    mkdirSync(parent, { recursive: true });
    const realParent = realpathSync(parent);
    if (realParent !== root && !realParent.startsWith(root + sep))
      throw new CliError(`invalid tar entry ${JSON.stringify(h.name)}: breakout through a symlink`, 1);
    const at = join(realParent, basename(target));
    const existing = lstatSync(at, { throwIfNoEntry: false });
    if (existing && !(h.type === 'dir' && existing.isDirectory())) rmSync(at, { recursive: true, force: true });
    switch (h.type) {
      case 'dir':
        if (!existing?.isDirectory()) mkdirSync(at, { mode: 0o700 });
        chmodSync(at, h.mode);
        break;
      case 'file': {
        const fd = openSync(at, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of e.body) for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
        } finally {
          closeSync(fd);
        }
        chmodSync(at, uid === 0 ? h.mode : h.mode & 0o777);
        break;
      }
      case 'symlink':
        symlinkSync(h.linkname, at);
        break;
      case 'hardlink': {
        let t = posix.normalize(h.linkname.replace(/^\/+/, ''));
        if (t.startsWith('../')) throw new CliError(`invalid hardlink ${JSON.stringify(h.name)}`, 1);
        if (rename) t = renameTop(t, rename);
        linkSync(join(root, t), at);
        break;
      }
      default:
        continue; // devices and fifos are not recreated on the client
    }
    if (h.type !== 'hardlink') lutimesSync(at, h.mtime, h.mtime);
  }
}

function renameTop(rel: string, r: { from: string; to: string }): string {
  if (rel === r.from) return r.to;
  if (rel.startsWith(r.from + '/')) return r.to + rel.slice(r.from.length);
  return rel;
}
