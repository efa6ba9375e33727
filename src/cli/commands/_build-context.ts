// The build context as a tar, as the docker CLI sends it: the directory walked without
// following symlinks, .dockerignore applied (the Dockerfile and .dockerignore are always
// sent), and a Dockerfile from outside the context added under a private name.
import { lstatSync, readdirSync, readlinkSync, readFileSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { TarWriter } from '../../tar/writer.ts';
import { createMatcher, parseDockerignore } from '../../common/dockerignore.ts';

/** One entry of a walked context: its name in the tar, its lstat, and where it is. */
export interface WalkedEntry {
  name: string;
  st: Stats;
  path: string;
  linkname: string;
}

/** The context directory walked as docker does; `dockerfile` is its name in the context. */
export interface WalkedContext {
  entries: WalkedEntry[];
  dockerfile: string;
  outside?: { name: string; path: string };
}

export function walkContext(dir: string, dockerfile: string | undefined): WalkedContext {
  const root = resolve(dir);
  let ignoreText = '';
  try {
    ignoreText = readFileSync(join(root, '.dockerignore'), 'utf8');
  } catch {
    /* none */
  }
  const m = createMatcher(parseDockerignore(ignoreText));
  const dfPath = resolve(dockerfile ? dockerfile : join(root, 'Dockerfile'));
  const rel = relative(root, dfPath);
  const inside = !rel.startsWith('..') && !rel.startsWith(sep);
  const dfName = inside ? rel.split(sep).join('/') : `.dockerfile.${randomBytes(10).toString('hex')}`;
  const keep = new Set([dfName, '.dockerignore']);
  const entries: WalkedEntry[] = [];
  const walk = (abs: string, name: string): void => {
    for (const ent of readdirSync(abs).sort()) {
      const child = name ? `${name}/${ent}` : ent;
      const p = join(abs, ent);
      const st = lstatSync(p);
      const excluded = !keep.has(child) && m.excluded(child);
      if (excluded && !(st.isDirectory() && m.mayReinclude(child))) continue;
      if (st.isDirectory()) {
        if (!excluded) entries.push({ name: child, st, path: p, linkname: '' });
        walk(p, child);
      } else if (!excluded && (st.isSymbolicLink() || st.isFile())) {
        entries.push({ name: child, st, path: p, linkname: st.isSymbolicLink() ? readlinkSync(p) : '' });
      }
    }
  };
  walk(root, '');
  return { entries, dockerfile: dfName, outside: inside ? undefined : { name: dfName, path: dfPath } };
}

/** A tar of walked entries; `only` limits the regular files sent (the rest are skipped). */
export function tarOfWalk(ctx: WalkedContext, only?: Set<string>): Readable {
  const w = new TarWriter();
  (async () => {
    for (const { name, st, path, linkname } of ctx.entries) {
      const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        if (!only) await w.add({ ...base, name: name + '/', type: 'dir' });
      } else if (st.isSymbolicLink()) {
        if (!only) await w.add({ ...base, type: 'symlink', linkname });
      } else if (!only || only.has(name)) {
        // Small files as one read: a stream per file costs more than the bytes.
        await w.add({ ...base, type: 'file', size: st.size }, st.size <= 1 << 20 ? readFileSync(path) : { path });
      }
    }
    if (ctx.outside && (!only || only.has(ctx.outside.name))) {
      const body = readFileSync(ctx.outside.path);
      await w.add({ name: ctx.outside.name, type: 'file', mode: 0o644, size: body.length }, body);
    }
    await w.finish();
  })().catch((err) => w.stream.destroy(err as Error));
  return w.stream;
}
