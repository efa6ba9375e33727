// Rotated log files compressed as dockerd does: gzip whose header carries an "extra" field
// with the file's last record time ({"lastTime":"<RFC3339Nano>"}), so a reader asked for
// records since T can skip a whole file without inflating it. Node's gzip writer cannot set
// header fields, so the header and trailer are written here around a raw deflate stream.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { formatTime, parseTime } from './jsonlog.ts';

const ID1 = 0x1f;
const ID2 = 0x8b;
const FEXTRA = 0x04;
const OS_UNKNOWN = 255;

/** The gzip header with an extra field (RFC 1952 §2.3, FLG.FEXTRA). */
function header(extra: Buffer): Buffer {
  const h = Buffer.alloc(12 + extra.length);
  h[0] = ID1;
  h[1] = ID2;
  h[2] = 8; // deflate
  h[3] = FEXTRA;
  // MTIME 0 (none), XFL 0, OS unknown: what Go's gzip.Writer writes for a zero ModTime.
  h[9] = OS_UNKNOWN;
  h.writeUInt16LE(extra.length, 10);
  extra.copy(h, 12);
  return h;
}

/**
 * Compresses `src` into `dst` (written under a temporary name, then renamed) and removes
 * `src`. A failure leaves `src` in place and no `dst`.
 */
export async function compressLogFile(
  src: string,
  dst: string,
  lastTimeNs: bigint | undefined,
  /** Runs the final rename and unlink (a rotation lock around them). */
  commit: (fn: () => Promise<void>) => Promise<void> = (fn) => fn(),
): Promise<void> {
  const extra = Buffer.from(JSON.stringify(lastTimeNs === undefined ? {} : { lastTime: formatTime(lastTimeNs) }));
  const tmp = `${dst}.tmp-${process.pid}`;
  let crc = 0;
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = zlib.crc32(chunk, crc);
      size = (size + chunk.length) % 2 ** 32;
      cb(null, chunk);
    },
  });
  const out = fs.createWriteStream(tmp, { mode: 0o640 });
  try {
    out.write(header(extra));
    await pipeline(fs.createReadStream(src), count, zlib.createDeflateRaw(), out, { end: false });
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(size >>> 0, 4);
    await new Promise<void>((res, rej) => out.end(trailer, (err?: Error | null) => (err ? rej(err) : res())));
  } catch (err) {
    out.destroy();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await commit(async () => {
    await fs.promises.rename(tmp, dst);
    await fs.promises.rm(src, { force: true });
  });
}

/** The lastTime an open compressed log file's header records, if it has one we can read. */
export async function compressedLastTime(fh: fs.promises.FileHandle): Promise<bigint | undefined> {
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    if (bytesRead < 12 || head[0] !== ID1 || head[1] !== ID2 || !(head[3] & FEXTRA)) return undefined;
    const len = head.readUInt16LE(10);
    const extra = Buffer.alloc(len);
    await fh.read(extra, 0, len, 12);
    const j = JSON.parse(extra.toString('utf8')) as { lastTime?: unknown };
    return typeof j.lastTime === 'string' ? parseTime(j.lastTime) : undefined;
  } catch {
    return undefined;
  }
}

/** Inflates an open compressed log file into an open (already unlinked) temporary file. */
export async function inflateInto(src: fs.promises.FileHandle, fd: number): Promise<void> {
  await pipeline(
    src.createReadStream({ start: 0, autoClose: false }),
    zlib.createGunzip(),
    fs.createWriteStream('', { fd, autoClose: false }),
  );
}
