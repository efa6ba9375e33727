// Detects a layer's compression by its magic bytes and returns the decompressed stream.
// gzip and zstd use node:zlib; bzip2 and xz go through the host's own binaries (absolute
// paths, never a binary from an image or $PATH at call time).
import { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { internal, invalidArgument } from '../common/errors.ts';
import { killProcessGroup, spawnChild } from '../sys/exec.ts';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

export interface Decompressed {
  stream: Readable;
  compression: Compression;
}

// zlib's default 16 KiB output chunks cost a trip through every stream stage (tar reader,
// hashing, one write) per chunk: 1 MiB chunks halve a cold pull's time.
const OUT_CHUNK = 1 << 20;

export const HOST_BZIP2 = '/usr/bin/bzip2';
export const HOST_XZ = '/usr/bin/xz';

export function detectCompression(head: Buffer): Compression {
  const starts = (sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts([0x1f, 0x8b])) return 'gzip';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2'; // "BZh"
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

/** Peeks at the first bytes of `input`, then returns a stream of the decompressed data. */
export async function decompress(input: Readable): Promise<Decompressed> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < 6) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    head.push(b);
    headLen += b.length;
  }
  const first = Buffer.concat(head);
  const compression = detectCompression(first);
  // The peeked bytes go back in front of the rest of the input.
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  switch (compression) {
    case 'none':
      return { stream: raw, compression };
    case 'gzip':
      return { stream: pipeInto(raw, createGunzip({ chunkSize: OUT_CHUNK })), compression };
    case 'zstd':
      return { stream: pipeInto(raw, createZstdDecompress({ chunkSize: OUT_CHUNK })), compression };
    case 'bzip2':
      return { stream: throughHost(HOST_BZIP2, raw), compression };
    case 'xz':
      return { stream: throughHost(HOST_XZ, raw), compression };
  }
}

/** Pipes src into a transform, forwarding errors so the consumer sees them. */
function pipeInto(src: Readable, t: NodeJS.ReadWriteStream & Readable): Readable {
  src.on('error', (e) => t.destroy(e));
  t.on('error', () => src.destroy());
  src.pipe(t);
  t.on('error', () => {});
  return wrapErrors(t);
}

/** zlib errors ("incorrect header check") become invalid-argument errors. */
function wrapErrors(s: Readable): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    try {
      for await (const c of s as AsyncIterable<Buffer>) yield c;
    } catch (err) {
      if (
        (err as { code?: string }).code?.startsWith('Z_') ||
        (err as { code?: string }).code?.startsWith('ERR_ZSTD')
      ) {
        throw invalidArgument(`corrupt compressed layer: ${(err as Error).message}`, err);
      }
      throw err;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

/** `<bin> -dc` with the data on stdin; a non-zero exit becomes a stream error. */
function throughHost(bin: string, src: Readable): Readable {
  const child = spawnChild(bin, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 64) stderr.push(b);
  });
  child.stdin!.on('error', () => {}); // EPIPE when the child dies early: reported via exit
  src.on('error', () => killProcessGroup(child));
  src.pipe(child.stdin!);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: -1, signal: null }));
  });
  async function* gen(): AsyncGenerator<Buffer> {
    let finished = false;
    try {
      for await (const c of child.stdout! as AsyncIterable<Buffer>) yield c;
      const { code, signal } = await exited;
      finished = true;
      if (code !== 0) {
        const msg = Buffer.concat(stderr).toString('utf8').trim();
        throw code === 1 || code === 2
          ? invalidArgument(`corrupt compressed layer: ${bin}: ${msg || `exit ${code}`}`)
          : internal(`${bin} -dc failed (${signal ?? `exit ${code}`}): ${msg}`);
      }
    } finally {
      // Consumer stopped early or failed: do not leave the decompressor behind.
      if (!finished) {
        killProcessGroup(child);
        src.unpipe(child.stdin!);
        src.destroy();
      }
    }
  }
  return Readable.from(gen(), { objectMode: false });
}
