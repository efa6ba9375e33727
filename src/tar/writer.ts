// A small tar writer (ustar, with a PAX header whenever a value does not fit: long names
// or link targets, non-ASCII text, ids or sizes past the octal fields, sub-second mtimes,
// xattrs). Used for commit, export and save. It writes names exactly as given: callers
// (and tests building hostile archives) decide what goes in.
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../common/errors.ts';
import type { TarEntryType } from './reader.ts';

export interface TarWriteEntry {
  name: string;
  type: TarEntryType;
  /** Permission bits incl. setuid/setgid/sticky; default 0o644 (files) / 0o755 (dirs). */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch (fractions kept through PAX). Default 0. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer> | Record<string, Buffer | string>;
  /** Regular files: the body size in bytes (required with a stream or path body). */
  size?: number;
}

/** A file body: bytes, a stream of exactly `size` bytes, or a host path to read. */
export type TarBody = Buffer | string | Readable | { path: string };

const BLOCK = 512;

export class TarWriter {
  /** The archive bytes; pipe it somewhere (backpressure is honoured by add()). */
  readonly stream = new PassThrough();
  private closed = false;

  async add(entry: TarWriteEntry, body?: TarBody): Promise<void> {
    if (this.closed) throw invalidArgument('tar writer already finished');
    let data: Buffer | undefined;
    let src: Readable | undefined;
    let size = 0;
    if (entry.type === 'file') {
      if (body === undefined) size = entry.size ?? 0;
      else if (typeof body === 'string' || Buffer.isBuffer(body)) {
        data = Buffer.isBuffer(body) ? body : Buffer.from(body);
        size = data.length;
      } else {
        if (entry.size === undefined)
          throw invalidArgument(`tar entry ${entry.name}: size is required for a streamed body`);
        size = entry.size;
        src =
          'path' in body && typeof (body as { path: unknown }).path === 'string' && !('read' in body)
            ? createReadStream((body as { path: string }).path)
            : (body as Readable);
      }
      if (body === undefined && size > 0) throw invalidArgument(`tar entry ${entry.name}: body missing`);
    }
    await this.write(encodeHeaders(entry, size));
    if (data) await this.write(data);
    if (src) {
      let got = 0;
      for await (const chunk of src as AsyncIterable<Buffer>) {
        const b = got + chunk.length > size ? chunk.subarray(0, size - got) : chunk;
        got += b.length;
        if (b.length) await this.write(b);
        if (got >= size) break;
      }
      if (got !== size) throw invalidArgument(`tar entry ${entry.name}: body was ${got} bytes, header said ${size}`);
    }
    const p = (BLOCK - (size % BLOCK)) % BLOCK;
    if (p) await this.write(Buffer.alloc(p));
  }

  /** Writes the two zero blocks that end an archive and ends the stream. */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.write(Buffer.alloc(BLOCK * 2));
    this.stream.end();
  }

  private write(b: Buffer): Promise<void> {
    if (this.stream.write(b)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (e: Error) => {
        this.stream.off('drain', onDrain);
        reject(e);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }
}

const TYPE_FLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ustar fields hold 7-bit ASCII without NUL
const NON_ASCII = /[^\x01-\x7f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ustar fields hold 7-bit ASCII without NUL
const ascii = (s: string) => /^[\x01-\x7f]*$/.test(s);

/** The header block(s) for one entry: an optional PAX 'x' header, then the ustar header. */
export function encodeHeaders(entry: TarWriteEntry, size: number): Buffer {
  const pax = new Map<string, Buffer>();
  const mode = entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644);
  const uid = entry.uid ?? 0;
  const gid = entry.gid ?? 0;
  const mtime = entry.mtime ?? 0;
  const linkname = entry.linkname ?? '';
  let name = entry.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100 || !ascii(name)) {
    const split = splitUstar(name);
    if (split && ascii(name)) [prefix, name] = split;
    else {
      pax.set('path', Buffer.from(entry.name));
      name = entry.name.replace(NON_ASCII, '_').slice(0, 100);
    }
  }
  if (Buffer.byteLength(linkname) > 100 || !ascii(linkname)) pax.set('linkpath', Buffer.from(linkname));
  if (uid > MAX_OCTAL_8) pax.set('uid', Buffer.from(String(uid)));
  if (gid > MAX_OCTAL_8) pax.set('gid', Buffer.from(String(gid)));
  if (size > MAX_OCTAL_12) pax.set('size', Buffer.from(String(size)));
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > MAX_OCTAL_12) pax.set('mtime', Buffer.from(formatTime(mtime)));
  for (const k of ['uname', 'gname'] as const) {
    const v = entry[k] ?? '';
    if (Buffer.byteLength(v) > 31 || !ascii(v)) pax.set(k, Buffer.from(v));
  }
  const xattrs = entry.xattrs instanceof Map ? entry.xattrs : new Map(Object.entries(entry.xattrs ?? {}));
  for (const [k, v] of xattrs) pax.set(`SCHILY.xattr.${k}`, Buffer.isBuffer(v) ? v : Buffer.from(v));

  const main = ustarBlock({
    name,
    prefix,
    mode,
    uid: Math.min(uid, MAX_OCTAL_8),
    gid: Math.min(gid, MAX_OCTAL_8),
    size: size > MAX_OCTAL_12 ? 0 : size,
    mtime: Math.max(0, Math.min(Math.trunc(mtime), MAX_OCTAL_12)),
    flag: TYPE_FLAG[entry.type],
    linkname: Buffer.byteLength(linkname) > 100 ? '' : linkname,
    uname: entry.uname ?? '',
    gname: entry.gname ?? '',
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
  });
  if (pax.size === 0) return main;
  const body = encodePax(pax);
  const paxHeader = ustarBlock({
    name: `PaxHeaders/${(entry.name.split('/').filter(Boolean).pop() ?? 'x').replace(NON_ASCII, '_').slice(0, 80)}`,
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: 0,
    flag: 'x',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  });
  const p = (BLOCK - (body.length % BLOCK)) % BLOCK;
  return Buffer.concat([paxHeader, body, Buffer.alloc(p), main]);
}

function formatTime(t: number): string {
  const s = t.toFixed(9).replace(/\.?0+$/, '');
  return s === '' || s === '-' ? '0' : s;
}

/** Splits a long ASCII path into ustar prefix (≤155) and name (≤100) at a slash. */
function splitUstar(path: string): [string, string] | null {
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return [prefix, name];
    if (name.length > 100) return null;
  }
  return null;
}

/** Each record is "<len> key=value\n" where len counts its own digits. */
function encodePax(pax: Map<string, Buffer>): Buffer {
  const recs: Buffer[] = [];
  for (const [k, v] of pax) {
    const rest = Buffer.byteLength(k) + v.length + 3; // space, '=', '\n'
    let len = rest + String(rest).length;
    if (String(len).length !== String(rest).length) len = rest + String(len).length;
    recs.push(Buffer.concat([Buffer.from(`${len} ${k}=`), v, Buffer.from('\n')]));
  }
  return Buffer.concat(recs);
}

interface Fields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  flag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function ustarBlock(f: Fields): Buffer {
  const b = Buffer.alloc(BLOCK);
  const str = (off: number, len: number, s: string) => {
    Buffer.from(s, 'utf8').copy(b, off, 0, len);
  };
  const oct = (off: number, len: number, n: number) => {
    b.write(n.toString(8).padStart(len - 1, '0'), off, len - 1, 'latin1');
  };
  str(0, 100, f.name);
  oct(100, 8, f.mode & 0o7777);
  oct(108, 8, f.uid);
  oct(116, 8, f.gid);
  oct(124, 12, f.size);
  oct(136, 12, f.mtime);
  b.write(f.flag, 156, 1, 'latin1');
  str(157, 100, f.linkname);
  b.write('ustar\x0000', 257, 8, 'latin1');
  str(265, 32, f.uname);
  str(297, 32, f.gname);
  oct(329, 8, f.devmajor);
  oct(337, 8, f.devminor);
  str(345, 155, f.prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** Builds a whole archive in memory (tests, small exports). */
export async function tarToBuffer(entries: { entry: TarWriteEntry; body?: TarBody }[]): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.stream.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    w.stream.on('end', resolve);
    w.stream.on('error', reject);
  });
  for (const { entry, body } of entries) await w.add(entry, body);
  await w.finish();
  await done;
  return Buffer.concat(chunks);
}
