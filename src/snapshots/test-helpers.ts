// Helpers shared by the snapshots tests: raw tar blocks for hostile archives, a tree
// snapshot for comparing our extraction with GNU tar's, temp dirs.
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { llistxattr, lgetxattr } from '../sys/libc.ts';
import { unmountRecursive } from '../sys/mountinfo.ts';

export function tempDir(prefix = 'berth-test-'): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join('/tmp', prefix));
  return {
    path,
    [Symbol.dispose]() {
      unmountRecursive(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export interface RawFields {
  name?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  flag?: string;
  linkname?: string;
  magic?: string;
  prefix?: string;
  devmajor?: number;
  devminor?: number;
}

/** One 512-byte header with exactly the given fields and a correct checksum. */
export function rawHeader(f: RawFields): Buffer {
  const b = Buffer.alloc(512);
  const oct = (off: number, len: number, n: number) =>
    b.write(n.toString(8).padStart(len - 1, '0'), off, len - 1, 'latin1');
  b.write(f.name ?? 'x', 0, 100, 'utf8');
  oct(100, 8, f.mode ?? 0o644);
  oct(108, 8, f.uid ?? 0);
  oct(116, 8, f.gid ?? 0);
  oct(124, 12, f.size ?? 0);
  oct(136, 12, f.mtime ?? 0);
  b.write(f.flag ?? '0', 156, 1, 'latin1');
  b.write(f.linkname ?? '', 157, 100, 'utf8');
  b.write(f.magic ?? 'ustar\x0000', 257, 8, 'latin1');
  oct(329, 8, f.devmajor ?? 0);
  oct(337, 8, f.devminor ?? 0);
  b.write(f.prefix ?? '', 345, 155, 'utf8');
  return fixChecksum(b);
}

export function fixChecksum(b: Buffer): Buffer {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** Body bytes padded to a block. */
export function padded(data: Buffer | string): Buffer {
  const d = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([d, Buffer.alloc((512 - (d.length % 512)) % 512)]);
}

export function paxBody(records: Record<string, string>): Buffer {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = Buffer.byteLength(`${k}=${v}`) + 2;
    let len = rest + String(rest).length;
    if (String(len).length !== String(rest).length) len = rest + String(len).length;
    out += `${len} ${k}=${v}\n`;
  }
  return Buffer.from(out);
}

export const END = Buffer.alloc(1024);

export function streamOf(...bufs: Buffer[]): Readable {
  return Readable.from(bufs.length ? bufs : [Buffer.alloc(0)], { objectMode: false });
}

export interface NodeInfo {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha?: string;
  link?: string;
  rdev?: number;
  mtime?: number;
  xattrs: Record<string, string>;
  /** Index of the first path sharing this inode (hardlink groups). */
  linkGroup?: string;
}

/** lstat-level description of every path under dir (dir itself excluded). */
export function snapshotTree(dir: string, opts: { mtimes?: boolean } = {}): Record<string, NodeInfo> {
  const out: Record<string, NodeInfo> = {};
  const inodes = new Map<number, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(dir, r);
      const st = lstatSync(p);
      const type = st.isDirectory()
        ? 'dir'
        : st.isFile()
          ? 'file'
          : st.isSymbolicLink()
            ? 'symlink'
            : st.isCharacterDevice()
              ? 'char'
              : st.isBlockDevice()
                ? 'block'
                : st.isFIFO()
                  ? 'fifo'
                  : 'other';
      const xattrs: Record<string, string> = {};
      for (const k of llistxattr(p).sort()) {
        if (k.startsWith('security.selinux')) continue;
        xattrs[k] = lgetxattr(p, k)?.toString('hex') ?? '';
      }
      const info: NodeInfo = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, xattrs };
      if (type === 'symlink') info.mode = 0;
      if (type === 'file') {
        info.size = st.size;
        info.sha = createHash('sha256').update(readFileSync(p)).digest('hex');
        if (st.nlink > 1) {
          const first = inodes.get(st.ino);
          if (first) info.linkGroup = first;
          else inodes.set(st.ino, r);
        }
      }
      if (type === 'symlink') info.link = readlinkSync(p);
      if (type === 'char' || type === 'block') info.rdev = st.rdev;
      if (opts.mtimes && type !== 'symlink') info.mtime = Math.floor(st.mtimeMs / 1000);
      out[r] = info;
      if (type === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}
