// The build context as a tar, as the docker CLI sends it: the directory walked without
// following symlinks, .dockerignore applied (the Dockerfile and .dockerignore are always
// sent), and a Dockerfile from outside the context added under a private name.
import { lstatSync, readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { TarWriter } from '../../tar/writer.ts';
import { createMatcher, parseDockerignore } from '../../common/dockerignore.ts';

export interface ContextTar { stream: Readable; dockerfile: string }

export function contextTar(dir: string, dockerfile: string | undefined): ContextTar {
  const root = resolve(dir);
  let ignoreText = '';
  try { ignoreText = readFileSync(join(root, '.dockerignore'), 'utf8'); } catch { /* none */ }
  const m = createMatcher(parseDockerignore(ignoreText));
  const dfPath = resolve(dockerfile ? dockerfile : join(root, 'Dockerfile'));
  const rel = relative(root, dfPath);
  const inside = !rel.startsWith('..') && !rel.startsWith(sep);
  const dfName = inside ? rel.split(sep).join('/') : `.dockerfile.${randomBytes(10).toString('hex')}`;
  const keep = new Set([dfName, '.dockerignore']);
  const w = new TarWriter();
  const walk = async (abs: string, name: string): Promise<void> => {
    for (const ent of readdirSync(abs).sort()) {
      const child = name ? `${name}/${ent}` : ent;
      const p = join(abs, ent);
      const st = lstatSync(p);
      const excluded = !keep.has(child) && m.excluded(child);
      if (excluded && !(st.isDirectory() && m.mayReinclude(child))) continue;
      const base = { name: child, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        if (!excluded) await w.add({ ...base, name: child + '/', type: 'dir' });
        await walk(p, child);
      } else if (st.isSymbolicLink()) {
        if (!excluded) await w.add({ ...base, type: 'symlink', linkname: readlinkSync(p) });
      } else if (st.isFile()) {
        // Small files as one read: a stream per file costs more than the bytes.
        if (!excluded) await w.add({ ...base, type: 'file', size: st.size }, st.size <= (1 << 20) ? readFileSync(p) : { path: p });
      }
    }
  };
  (async () => {
    await walk(root, '');
    if (!inside) {
      const body = readFileSync(dfPath);
      await w.add({ name: dfName, type: 'file', mode: 0o644, size: body.length }, body);
    }
    await w.finish();
  })().catch((err) => w.stream.destroy(err as Error));
  return { stream: w.stream, dockerfile: dfName };
}
