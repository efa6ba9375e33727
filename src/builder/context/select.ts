// COPY/ADD sources against the context index: Docker's rules for paths (absolute names
// are context-relative, `..` may not climb out), wildcards (filepath.Match per name),
// symlinked sources followed within the context, and the cache digest of everything a
// source selects (names, modes, link targets and content hashes — never mtimes).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { invalidArgument, notFound } from '../../common/errors.ts';
import type { ContextIndex } from './index.ts';
import { globSource } from '../../common/glob.ts';

/** One selected source: `root` is '' for the whole context; `isDir` copies its contents. */
export interface Selected {
  root: string;
  isDir: boolean;
  name: string;
}

const hasGlob = (s: string) => /[*?[]/.test(s);

/** Go's filepath.Match for one source pattern (COPY wildcards never span directories). */
const globRe = (glob: string) => new RegExp(`^${globSource(glob, { doubleStar: false })}$`);

/** Context-relative clean name of a source, or an error for one that leaves the context. */
export function sourceName(src: string): string {
  const n = posix.normalize('./' + src.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../'))
    throw invalidArgument(`COPY failed: forbidden path outside the build context: ${src} ()`);
  return n === '.' ? '' : n;
}

/** Follows symlinks of `name` within the context (targets resolved against the context root). */
function followInContext(idx: ContextIndex, name: string, src: string): string {
  let cur = name;
  for (let hops = 0; hops < 40; hops++) {
    const e = idx.entries.get(cur);
    if (e?.type !== 'symlink') return cur;
    const t = e.linkname.startsWith('/') ? e.linkname : posix.join(posix.dirname(cur), e.linkname);
    const n = posix
      .normalize('/' + t)
      .slice(1)
      .replace(/\/+$/, '');
    cur = n;
    if (cur === '') return '';
  }
  throw invalidArgument(`COPY failed: too many levels of symbolic links: ${src}`);
}

function isDirName(idx: ContextIndex, name: string): boolean {
  if (name === '') return true;
  const e = idx.entries.get(name);
  if (e) return e.type === 'dir';
  const prefix = name + '/';
  for (const k of idx.entries.keys()) if (k.startsWith(prefix)) return true; // implied by its children
  return false;
}

/** Resolves the (expanded) sources of one COPY/ADD against the context. */
export function selectSources(idx: ContextIndex, sources: string[]): Selected[] {
  const out: Selected[] = [];
  for (const src of sources) {
    const name = sourceName(src);
    if (hasGlob(name)) {
      const re = globRe(name);
      const hits = [...idx.entries.keys()].filter((k) => re.test(k)).sort();
      if (!hits.length) throw notFound(`COPY failed: no source files were specified`);
      for (const h of hits) {
        const real = followInContext(idx, h, src);
        out.push({ root: real, isDir: isDirName(idx, real), name: posix.basename(h) });
      }
      continue;
    }
    const real = followInContext(idx, name, src);
    if (real !== '' && !idx.entries.has(real) && !isDirName(idx, real)) {
      throw notFound(
        `COPY failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`,
      );
    }
    out.push({ root: real, isDir: isDirName(idx, real), name: posix.basename(name) });
  }
  return out;
}

/** Whether `entryName` lies under the selection, and its path relative to the selection's root. */
export function relativeTo(sel: Selected, entryName: string): string | undefined {
  if (sel.root === '') return entryName;
  if (entryName === sel.root) return '';
  return entryName.startsWith(sel.root + '/') ? entryName.slice(sel.root.length + 1) : undefined;
}

/** Whether a context entry falls under any of the selections (what a COPY reads). */
export function covers(sel: Selected[]): (name: string) => boolean {
  return (name) => sel.some((s) => relativeTo(s, name) !== undefined);
}

/** Content digest of everything the selections cover: the cache key's file part. */
export function selectionDigest(idx: ContextIndex, sel: Selected[]): string {
  const h = createHash('sha256');
  for (const s of sel) {
    h.update(`sel ${s.root} ${s.isDir} ${s.name}\n`);
    const names = [...idx.entries.keys()].filter((k) => relativeTo(s, k) !== undefined).sort();
    for (const n of names) {
      const e = idx.entries.get(n)!;
      h.update(`${n}\0${e.type}\0${e.mode.toString(8)}\0${e.linkname}\0${e.hash}\n`);
    }
  }
  return h.digest('hex');
}
