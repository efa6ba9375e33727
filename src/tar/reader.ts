// Our own streaming tar parser (ustar, GNU, PAX). It is one of the two sides of a parser
// differential an attacker would exploit, so it is strict where formats are ambiguous:
// checksum verified, sizes bounded, a PAX header may only precede a real entry, GNU long
// name/link records may not mix with PAX, sparse files are refused. It never buffers more
// than one header plus one source chunk; bodies are streamed to the caller.
import type { Readable } from 'node:stream';
import { invalidArgument } from '../common/errors.ts';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  size: number;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch, fractional when PAX gave sub-second precision. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX SCHILY.xattr.* records, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's bytes; consume it, or leave it and the reader skips it on next(). */
  body: AsyncIterable<Buffer>;
}

export interface TarReaderOptions {
  /** Sees every byte read from the source, in order, including padding after the end. */
  onData?: (chunk: Buffer) => void;
  /** Non-fatal oddities (unknown empty entry types skipped, etc.). */
  onWarning?: (msg: string) => void;
  /** Cap on a single PAX or GNU long-name record (default 1 MiB). */
  maxMetaSize?: number;
}

const BLOCK = 512;
const DEFAULT_MAX_META = 1 << 20;

const truncated = () => invalidArgument('unexpected end of archive');
const badHeader = (why: string) => invalidArgument(`invalid tar header: ${why}`);

/** Pulls exact byte counts out of a chunked source, keeping only unread bytes. */
class ByteSource {
  private readonly it: AsyncIterator<Buffer | string>;
  private chunk: Buffer = Buffer.alloc(0);
  private pos = 0;
  private done = false;
  total = 0;
  private readonly onData?: (chunk: Buffer) => void;

  constructor(src: Readable | AsyncIterable<Buffer>, onData?: (chunk: Buffer) => void) {
    this.it = (src as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    this.onData = onData;
  }

  /** Fills the current chunk; false at end of input. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      this.total += b.length;
      this.onData?.(b);
      this.chunk = b;
      this.pos = 0;
    }
    return true;
  }

  /** Exactly n bytes (copied), or fewer only when the input ended. */
  async read(n: number): Promise<Buffer> {
    if (!(await this.fill())) return Buffer.alloc(0);
    if (this.chunk.length - this.pos >= n) {
      const out = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      return Buffer.from(out);
    }
    const out = Buffer.alloc(n);
    let got = 0;
    while (got < n && (await this.fill())) {
      const take = Math.min(n - got, this.chunk.length - this.pos);
      this.chunk.copy(out, got, this.pos, this.pos + take);
      this.pos += take;
      got += take;
    }
    return out.subarray(0, got);
  }

  /** Up to n bytes without copying; empty at end of input. */
  async readSome(n: number): Promise<Buffer> {
    if (!(await this.fill())) return Buffer.alloc(0);
    const take = Math.min(n, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + take);
    this.pos += take;
    return out;
  }

  /** Reads and discards everything left (trailing padding): memory stays one chunk. */
  async drain(): Promise<void> {
    this.pos = this.chunk.length;
    while (await this.fill()) this.pos = this.chunk.length;
  }
}

interface PendingMeta {
  pax?: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

export class TarReader implements AsyncIterable<TarEntry> {
  private readonly src: ByteSource;
  private readonly opts: TarReaderOptions;
  private global = new Map<string, Buffer>();
  /** Body bytes (plus padding) of the current entry still unread. */
  private remaining = 0;
  private padding = 0;
  private ended = false;

  constructor(input: Readable | AsyncIterable<Buffer>, opts: TarReaderOptions = {}) {
    this.opts = opts;
    this.src = new ByteSource(input, opts.onData);
  }

  /** Bytes consumed from the source so far. */
  get bytesRead(): number {
    return this.src.total;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TarEntry> {
    for (;;) {
      const e = await this.next();
      if (!e) return;
      yield e;
    }
  }

  /** The next entry, or null at the end of the archive (after which the source is drained). */
  async next(): Promise<TarEntry | null> {
    if (this.ended) return null;
    await this.skipRest();
    const meta: PendingMeta = {};
    for (;;) {
      const block = await this.src.read(BLOCK);
      if (block.length === 0 && !meta.pax && meta.longName === undefined && meta.longLink === undefined) {
        // EOF on a header boundary without the end marker: accepted, as Go and GNU tar do.
        return this.finish();
      }
      if (block.length < BLOCK) throw truncated();
      if (isZero(block)) {
        if (meta.pax || meta.longName !== undefined || meta.longLink !== undefined)
          throw badHeader('extended header without an entry');
        // The second zero block is optional in practice; whatever follows is padding.
        return this.finish();
      }
      verifyChecksum(block);
      const flag = String.fromCharCode(block[156]);
      const size = parseNumeric(block, 124, 12, 'size');
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        const data = await this.readMeta(size);
        if (flag === 'g') {
          for (const [k, v] of parsePax(data)) this.global.set(k, v);
          continue;
        }
        if (flag === 'x') {
          if (meta.pax) throw badHeader('two PAX headers for one entry');
          if (meta.longName !== undefined || meta.longLink !== undefined)
            throw badHeader('PAX header after a GNU long-name header');
          meta.pax = parsePax(data);
        } else {
          if (meta.pax) throw badHeader('GNU long-name header after a PAX header');
          const s = cString(data);
          if (flag === 'L') {
            if (meta.longName !== undefined) throw badHeader('two GNU long names for one entry');
            meta.longName = s;
          } else {
            if (meta.longLink !== undefined) throw badHeader('two GNU long links for one entry');
            meta.longLink = s;
          }
        }
        continue;
      }
      const header = this.buildHeader(block, flag, size, meta);
      if (header === null) continue; // skipped (an empty entry of a type we ignore)
      this.remaining = header.size;
      this.padding = pad(header.size);
      return { header, body: this.body() };
    }
  }

  private async finish(): Promise<null> {
    this.ended = true;
    await this.src.drain();
    return null;
  }

  private async readMeta(size: number): Promise<Buffer> {
    const max = this.opts.maxMetaSize ?? DEFAULT_MAX_META;
    if (size > max) throw invalidArgument(`tar extended header of ${size} bytes exceeds the ${max}-byte limit`);
    const data = await this.src.read(size);
    if (data.length < size) throw truncated();
    const p = pad(size);
    if ((await this.src.read(p)).length < p) throw truncated();
    return data;
  }

  private buildHeader(block: Buffer, flag: string, rawSize: number, meta: PendingMeta): TarHeader | null {
    const magic = block.toString('latin1', 257, 263);
    const ustar = magic === 'ustar\0';
    const gnu = magic === 'ustar ';
    let name = cString(block.subarray(0, 100));
    // Only POSIX ustar has a prefix field; GNU keeps atime/ctime there.
    if (ustar) {
      const prefix = cString(block.subarray(345, 500));
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    const pax = new Map(this.global);
    // A global header cannot name or size the next entry.
    for (const k of ['path', 'linkpath', 'size']) pax.delete(k);
    for (const [k, v] of meta.pax ?? []) pax.set(k, v);
    const str = (k: string) => pax.get(k)?.toString('utf8');
    if (Array.from(pax.keys()).some((k) => k.startsWith('GNU.sparse.')))
      throw invalidArgument('sparse files in tar archives are not supported');

    let type: TarEntryType;
    switch (flag) {
      case '0':
      case '\0':
      case '7':
        type = 'file';
        break;
      case '1':
        type = 'hardlink';
        break;
      case '2':
        type = 'symlink';
        break;
      case '3':
        type = 'char';
        break;
      case '4':
        type = 'block';
        break;
      case '5':
        type = 'dir';
        break;
      case '6':
        type = 'fifo';
        break;
      case 'S':
        throw invalidArgument('sparse files in tar archives are not supported');
      default: {
        const size = numberOr(str('size'), rawSize);
        if (size > 0) throw invalidArgument(`unsupported tar entry type ${JSON.stringify(flag)} with data`);
        this.opts.onWarning?.(`skipped tar entry of unknown type ${JSON.stringify(flag)}: ${name}`);
        return null;
      }
    }
    // V7 archives mark directories with a trailing slash on a regular-file entry.
    if (type === 'file' && flag === '\0' && !ustar && !gnu && name.endsWith('/')) type = 'dir';

    if (meta.longName !== undefined) name = meta.longName;
    const paxPath = str('path');
    if (paxPath !== undefined) name = paxPath;
    let linkname = cString(block.subarray(157, 257));
    if (meta.longLink !== undefined) linkname = meta.longLink;
    const paxLink = str('linkpath');
    if (paxLink !== undefined) linkname = paxLink;

    const max = this.opts.maxMetaSize ?? DEFAULT_MAX_META;
    if (name.length > max || linkname.length > max) throw invalidArgument('tar entry path too long');
    if (name === '') throw badHeader('empty name');

    let size = numberOr(str('size'), rawSize);
    // Links, devices, dirs and fifos carry no data whatever the size field says (GNU tar
    // agrees); a hardlink with a size is how some writers encode data we must not read.
    if (type !== 'file') {
      if (type === 'hardlink' && size > 0) throw invalidArgument(`hardlink ${name} with data is not supported`);
      if (type === 'dir' || type === 'symlink' || type === 'char' || type === 'block' || type === 'fifo') {
        if (size > 0) throw invalidArgument(`${type} entry ${name} must not carry data`);
      }
      size = 0;
    }

    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);

    return {
      name,
      type,
      size,
      mode: parseNumeric(block, 100, 8, 'mode') & 0o7777,
      uid: numberOr(str('uid'), parseNumeric(block, 108, 8, 'uid')),
      gid: numberOr(str('gid'), parseNumeric(block, 116, 8, 'gid')),
      uname: str('uname') ?? cString(block.subarray(265, 297)),
      gname: str('gname') ?? cString(block.subarray(297, 329)),
      mtime: paxTime(str('mtime')) ?? parseNumeric(block, 136, 12, 'mtime', true),
      linkname,
      devmajor: ustar || gnu ? parseNumeric(block, 329, 8, 'devmajor') : 0,
      devminor: ustar || gnu ? parseNumeric(block, 337, 8, 'devminor') : 0,
      xattrs,
    };
  }

  /** Streams the current entry's body; stops at its size. */
  private async *body(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const b = await this.src.readSome(this.remaining);
      if (b.length === 0) throw truncated();
      this.remaining -= b.length;
      yield b;
    }
    await this.skipPadding();
  }

  /**
   * The padding after a complete body may be cut short by the end of input: Go's reader
   * (and so dockerd) takes that as the end of the archive, and the docker CLI sends such
   * archives when it adds a Dockerfile from outside the context. The next header read
   * then sees the end of input and finishes.
   */
  private async skipPadding(): Promise<void> {
    while (this.padding > 0) {
      const b = await this.src.readSome(this.padding);
      if (b.length === 0) {
        this.padding = 0;
        return;
      }
      this.padding -= b.length;
    }
  }

  private async skipRest(): Promise<void> {
    while (this.remaining > 0) {
      const b = await this.src.readSome(this.remaining);
      if (b.length === 0) throw truncated();
      this.remaining -= b.length;
    }
    await this.skipPadding();
  }
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

function verifyChecksum(block: Buffer): void {
  const stored = parseNumeric(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  // Historic writers summed signed chars; accept either, as GNU tar does.
  if (stored !== unsigned && stored !== signed) throw badHeader('checksum mismatch');
}

/** Octal (NUL/space padded) or GNU base-256 (high bit set) numeric field. */
function parseNumeric(b: Buffer, off: number, len: number, what: string, allowNegative = false): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    // Base-256: big-endian two's complement, first byte's high bit is the marker.
    const negative = (f[0] & 0x40) !== 0;
    let v = BigInt(f[0] & 0x3f) - (negative ? 0x40n : 0n);
    for (let i = 1; i < f.length; i++) v = (v << 8n) | BigInt(f[i]);
    if (v < 0n && !allowNegative) throw badHeader(`negative ${what}`);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      throw badHeader(`${what} out of range`);
    return Number(v);
  }
  const s = f
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^[ \0]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw badHeader(`bad ${what} field ${JSON.stringify(s)}`);
  const v = parseInt(s, 8);
  if (!Number.isSafeInteger(v)) throw badHeader(`${what} out of range`);
  return v;
}

function numberOr(s: string | undefined, fallback: number): number {
  if (s === undefined) return fallback;
  if (!/^\d+$/.test(s)) throw badHeader(`bad PAX number ${JSON.stringify(s)}`);
  const v = Number(s);
  if (!Number.isSafeInteger(v)) throw badHeader('PAX number out of range');
  return v;
}

function paxTime(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw badHeader(`bad PAX time ${JSON.stringify(s)}`);
  return Number(s);
}

/** PAX records: "<len> <key>=<value>\n", len counting the whole record. */
function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // some writers pad with NULs
    const sp = data.indexOf(0x20, off);
    if (sp < 0 || sp - off > 20) throw badHeader('bad PAX record');
    const lenStr = data.toString('latin1', off, sp);
    if (!/^\d+$/.test(lenStr)) throw badHeader('bad PAX record length');
    const len = Number(lenStr);
    const end = off + len;
    if (len <= sp - off + 1 || end > data.length || data[end - 1] !== 0x0a) throw badHeader('bad PAX record');
    const rec = data.subarray(sp + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw badHeader('bad PAX record');
    const key = rec.toString('utf8', 0, eq);
    const value = Buffer.from(rec.subarray(eq + 1));
    // An empty value deletes the keyword (POSIX); we just drop it.
    if (value.length === 0) out.delete(key);
    else out.set(key, value);
    off = end;
  }
  return out;
}
