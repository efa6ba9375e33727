// Builds the tar a COPY/ADD extracts at the container's `/`: entries of the context (or
// of a --from image's archive) renamed to their destination, with --chown/--chmod applied.
// Names are computed from the already-cleaned destination, so nothing can climb out; the
// extraction (snapshots/apply in plain mode) enforces containment again.
import { posix } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import { Readable } from 'node:stream';
import { TarReader, type TarHeader } from '../../tar/reader.ts';
import { TarWriter } from '../../tar/writer.ts';
import { contextName } from '../context/index.ts';
import { relativeTo, type Selected } from '../context/select.ts';
import { checkArchiveEntry, type ArchiveGuard } from './archive-guard.ts';

export interface CopyPlan {
  selected: Selected[];
  /** Absolute, cleaned destination. */
  dest: string;
  destIsDir: boolean;
  owner?: { uid: number; gid: number };
  chmod?: number;
  /** Directories to create first (missing parents of the destination, dest itself). */
  mkdirs: string[];
}

/** Where an entry of a selection lands, or undefined when the selection does not cover it. */
export function targetOf(plan: CopyPlan, sel: Selected, name: string): string | undefined {
  const rel = relativeTo(sel, name);
  if (rel === undefined) return undefined;
  if (sel.isDir) return rel === '' ? plan.dest : posix.join(plan.dest, rel);
  return plan.destIsDir ? posix.join(plan.dest, sel.name) : plan.dest;
}

function outHeader(plan: CopyPlan, h: TarHeader, name: string, keepOwner: boolean) {
  return {
    name: name.replace(/^\/+/, '') + (h.type === 'dir' ? '/' : ''),
    type: h.type,
    mode: plan.chmod ?? h.mode,
    uid: plan.owner?.uid ?? (keepOwner ? h.uid : 0),
    gid: plan.owner?.gid ?? (keepOwner ? h.gid : 0),
    mtime: h.mtime,
    linkname: h.linkname,
    size: h.size,
    devmajor: h.devmajor,
    devminor: h.devminor,
  };
}

/**
 * Streams the copy tar. `source` is the context tar (names relative to its root) or a
 * --from archive (`stripTop`: its first component is the copied path's base name).
 */
export function copyTar(
  plan: CopyPlan,
  source: AsyncIterable<Buffer> | Readable,
  opts: { keepOwner: boolean; stripTop: boolean; allowed?: (name: string) => boolean; guard?: ArchiveGuard },
): Readable {
  const w = new TarWriter();
  const produce = async () => {
    for (const d of plan.mkdirs) {
      await w.add({
        name: d.replace(/^\/+/, '') + '/',
        type: 'dir',
        mode: 0o755,
        uid: plan.owner?.uid ?? 0,
        gid: plan.owner?.gid ?? 0,
      });
    }
    const reader = new TarReader(source);
    for (;;) {
      const e = await reader.next();
      if (!e) break;
      if (opts.guard) checkArchiveEntry(opts.guard, e.header);
      let name = contextName(e.header.name);
      if (opts.stripTop) {
        const i = name.indexOf('/');
        name = i < 0 ? '' : name.slice(i + 1);
      }
      if (name === '' && !opts.stripTop) continue;
      if (opts.allowed && !opts.allowed(name)) continue; // excluded by .dockerignore
      for (const sel of plan.selected) {
        const target = targetOf(plan, sel, name);
        if (target === undefined || target === '/') continue;
        // The layer is applied as a layer: a copied `.wh.` name would delete files below.
        if (posix.basename(target).startsWith('.wh.'))
          throw invalidArgument(`cannot copy ${name}: names starting with .wh. are reserved`);
        const h = outHeader(plan, e.header, target, opts.keepOwner);
        if (e.header.type === 'hardlink') {
          let ln = contextName(e.header.linkname);
          if (opts.stripTop) ln = ln.slice(ln.indexOf('/') + 1);
          const lt = targetOf(plan, sel, ln);
          if (lt === undefined) continue;
          h.linkname = lt.replace(/^\/+/, '');
        }
        if (e.header.type === 'file') await w.add(h, Readable.from(e.body));
        else await w.add(h);
        break;
      }
    }
    await w.finish();
  };
  produce().catch((err) => w.stream.destroy(err as Error));
  return w.stream;
}

/** The body of one context file (ADD's local archives), streamed from the context tar. */
export async function contextFile(source: AsyncIterable<Buffer> | Readable, name: string): Promise<Readable> {
  const reader = new TarReader(source);
  for (;;) {
    const e = await reader.next();
    if (!e) throw new Error(`${name} vanished from the build context`);
    if (contextName(e.header.name) === name && e.header.type === 'file') return Readable.from(e.body);
  }
}

/** Several tars as one: each one's end-of-archive blocks dropped, one written at the end. */
export function concatTars(parts: Readable[]): Readable {
  if (parts.length === 1) return parts[0];
  const w = new TarWriter();
  const produce = async () => {
    for (const p of parts) {
      const reader = new TarReader(p);
      for (;;) {
        const e = await reader.next();
        if (!e) break;
        const h = e.header;
        await w.add({ ...h, xattrs: h.xattrs }, h.type === 'file' ? Readable.from(e.body) : undefined);
      }
    }
    await w.finish();
  };
  produce().catch((err) => w.stream.destroy(err as Error));
  return w.stream;
}
