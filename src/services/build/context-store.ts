// Contexts berthd keeps between builds, so `berth build` sends only what changed.
// <data-root>/build/contexts/<key>/index.json lists the last context of one client
// directory (manifest entries plus content hashes); file bodies live once each in
// <data-root>/build/contexts/blobs/<sha256>, named by content, so no context path is ever
// a host path. The index is replaced atomically after its blobs are in place; a blob that
// no longer matches its name (damage after a crash) fails the read that streams it.
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as pipelineCb, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { conflict, internal, invalidArgument } from '../../common/errors.ts';
import { KeyedMutex } from '../../common/mutex.ts';
import { writeFileAtomic } from '../../sys/atomic.ts';
import { TarReader } from '../../tar/reader.ts';
import { TarWriter } from '../../tar/writer.ts';
import { contextName, looksLikeArchive, type ContextIndex } from '../../builder/context/index.ts';
import { unchanged, type ManifestEntry } from '../../builder/context/manifest.ts';

interface HeldEntry extends ManifestEntry {
  hash: string;
  archive: boolean;
}
interface Pending {
  key: string;
  entries: ManifestEntry[];
  need: Set<string>;
  expires: number;
}

const KEEP_CONTEXTS = 16;
/** Files up to this size are read and written whole (one syscall each way, no stream). */
const SMALL = 1 << 20;
const PENDING_TTL_MS = 10 * 60_000;
const KEY = /^[0-9a-f]{64}$/;

export class ContextStore {
  private readonly dir: string;
  private readonly blobs: string;
  private readonly tmp: string;
  private readonly pending = new Map<string, Pending>();
  private readonly locks = new KeyedMutex();
  /** Builds reading kept contexts right now: clear() leaves them alone while any runs. */
  private using = 0;

  /** `buildDir` is <data-root>/build; `tmp` its scratch dir, emptied at start-up. */
  constructor(buildDir: string) {
    this.dir = join(buildDir, 'contexts');
    this.blobs = join(this.dir, 'blobs');
    this.tmp = join(buildDir, 'tmp');
  }

  /** Step 1: the manifest in, a session and the names whose bytes berthd lacks out. */
  offer(key: string, entries: ManifestEntry[]): { session: string; need: string[] } {
    if (!KEY.test(key)) throw invalidArgument('context key must be 64 hex digits');
    const held = new Map(this.readIndex(key).map((e) => [e.name, e]));
    const need = entries
      .filter((e) => e.type === 'file' && !(unchanged(held.get(e.name), e) && this.hasBlob(held.get(e.name)!.hash)))
      .map((e) => e.name);
    const now = Date.now();
    for (const [id, p] of this.pending) if (p.expires < now) this.pending.delete(id);
    const session = randomBytes(16).toString('hex');
    this.pending.set(session, { key, entries, need: new Set(need), expires: now + PENDING_TTL_MS });
    return { session, need };
  }

  /**
   * Step 2: the tar of the needed files completes the session's context. `use` runs with
   * the context while the key is held, so a concurrent build of the same directory cannot
   * collect blobs this one still reads.
   */
  async receive<T>(
    session: string,
    tar: Readable,
    capture: string[],
    use: (ctx: ContextIndex, open: (wanted?: (name: string) => boolean) => Readable) => Promise<T>,
  ): Promise<T> {
    const p = this.pending.get(session);
    if (!p) throw invalidArgument(`unknown or expired build context session ${JSON.stringify(session)}`);
    this.pending.delete(session);
    this.using++;
    return this.locks
      .run(p.key, async () => {
        const held = new Map(this.readIndex(p.key).map((e) => [e.name, e]));
        const got = await this.ingest(tar, p.need);
        const missing = [...p.need].filter((n) => !got.has(n));
        if (missing.length)
          throw conflict(`the build context changed while it was sent (${missing[0]}): run the build again`);
        const index: HeldEntry[] = p.entries.map((e) => {
          if (e.type !== 'file') return { ...e, hash: '', archive: false };
          const r = got.get(e.name);
          if (r) return { ...e, size: r.size, hash: r.hash, archive: r.archive };
          // Held when offered; a concurrent build of the same directory may have replaced it since.
          const h = held.get(e.name);
          if (!h || !unchanged(h, e) || !this.hasBlob(h.hash))
            throw conflict(`the build context changed while it was sent (${e.name}): run the build again`);
          return { ...e, hash: h.hash, archive: h.archive };
        });
        const changed = got.size > 0 || index.length !== held.size || index.some((e) => !sameHeld(held.get(e.name), e));
        if (changed) {
          mkdirSync(join(this.dir, p.key), { recursive: true, mode: 0o700 });
          await writeFileAtomic(join(this.dir, p.key, 'index.json'), JSON.stringify(index), 0o600);
        } else {
          const now = new Date();
          try {
            utimesSync(join(this.dir, p.key, 'index.json'), now, now);
          } catch {
            /* only recency */
          }
        }
        try {
          return await use(this.contextIndex(index, capture), (wanted) => this.tarOf(index, wanted));
        } finally {
          // An unchanged index freed no blob and added no context: nothing to collect.
          if (changed) this.collect(p.key);
        }
      })
      .finally(() => {
        this.using--;
      });
  }

  /** Forgets every kept context (builder prune -a) unless a build is using them; returns the bytes freed. */
  async clear(): Promise<number> {
    if (this.using > 0) return 0;
    let bytes = 0;
    for (const b of safeList(this.blobs)) bytes += statSync(join(this.blobs, b), { throwIfNoEntry: false })?.size ?? 0;
    await rm(this.dir, { recursive: true, force: true });
    return bytes;
  }

  private readIndex(key: string): HeldEntry[] {
    try {
      return JSON.parse(readFileSync(join(this.dir, key, 'index.json'), 'utf8')) as HeldEntry[];
    } catch {
      return [];
    }
  }

  private hasBlob(hash: string): boolean {
    return statSync(join(this.blobs, hash), { throwIfNoEntry: false }) !== undefined;
  }

  /** Writes each needed file of the tar to its blob; anything else in the tar is refused. */
  private async ingest(
    tar: Readable,
    need: Set<string>,
  ): Promise<Map<string, { hash: string; size: number; archive: boolean }>> {
    mkdirSync(this.blobs, { recursive: true, mode: 0o700 });
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
    const got = new Map<string, { hash: string; size: number; archive: boolean }>();
    const reader = new TarReader(tar);
    for (let e = await reader.next(); e; e = await reader.next()) {
      const name = contextName(e.header.name);
      if (e.header.type !== 'file' || !need.has(name))
        throw invalidArgument(`build context: ${JSON.stringify(e.header.name)} was not asked for`);
      const tmp = join(this.tmp, `blob-${randomBytes(8).toString('hex')}`);
      try {
        if (e.header.size <= SMALL) {
          // Small files whole and synchronously: a stream per file costs more than its bytes.
          const chunks: Buffer[] = [];
          for await (const c of e.body) chunks.push(c as Buffer);
          const body = Buffer.concat(chunks);
          const hash = createHash('sha256').update(body).digest('hex');
          writeFileSync(tmp, body, { mode: 0o600 });
          renameSync(tmp, join(this.blobs, hash));
          got.set(name, { hash, size: body.length, archive: looksLikeArchive(body) });
          continue;
        }
        const sha = createHash('sha256');
        let archive = false;
        let first = true;
        await pipeline(
          e.body,
          new Transform({
            transform(c: Buffer, _enc, cb) {
              if (first) archive = looksLikeArchive(c);
              first = false;
              sha.update(c);
              cb(null, c);
            },
          }),
          createWriteStream(tmp, { mode: 0o600 }),
        );
        const hash = sha.digest('hex');
        await rename(tmp, join(this.blobs, hash));
        got.set(name, { hash, size: e.header.size, archive });
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    }
    return got;
  }

  private contextIndex(index: HeldEntry[], capture: string[]): ContextIndex {
    const entries: ContextIndex['entries'] = new Map();
    const captured = new Map<string, Buffer>();
    const want = new Set(capture.map((c) => contextName(c)));
    for (const e of index) {
      entries.set(e.name, {
        type: e.type,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        size: e.size,
        linkname: e.linkname,
        hash: e.hash,
        archive: e.archive,
      });
      if (e.type === 'file' && want.has(e.name)) captured.set(e.name, readFileSync(join(this.blobs, e.hash)));
    }
    return { entries, captured };
  }

  /**
   * The context as the tar a client would have sent (only the `wanted` entries: a COPY of
   * one file reads one blob), bodies checked against their names.
   */
  private tarOf(index: HeldEntry[], wanted?: (name: string) => boolean): Readable {
    const w = new TarWriter();
    void (async () => {
      for (const e of index) {
        if (wanted && !wanted(e.name)) continue;
        const base = {
          name: e.type === 'dir' ? `${e.name}/` : e.name,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: Math.floor(e.mtime / 1000),
        };
        if (e.type === 'dir') await w.add({ ...base, type: 'dir' });
        else if (e.type === 'symlink') await w.add({ ...base, type: 'symlink', linkname: e.linkname });
        else
          await w.add(
            { ...base, type: 'file', size: e.size },
            e.size <= SMALL ? this.smallBlob(e.hash) : verified(join(this.blobs, e.hash), e.hash),
          );
      }
      await w.finish();
    })().catch((err) => w.stream.destroy(err as Error));
    return w.stream;
  }

  private smallBlob(hash: string): Buffer {
    const body = readFileSync(join(this.blobs, hash));
    if (createHash('sha256').update(body).digest('hex') !== hash) throw damaged(hash);
    return body;
  }

  /**
   * Drops the least recently used contexts past the limit (never `current`), then blobs no
   * kept index names.
   */
  private collect(current: string): void {
    const keys = safeList(this.dir)
      .filter((k) => KEY.test(k))
      .map((k) => ({ k, t: statSync(join(this.dir, k, 'index.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => b.t - a.t);
    for (const { k } of keys.slice(KEEP_CONTEXTS))
      if (k !== current) rmSync(join(this.dir, k), { recursive: true, force: true });
    const live = new Set<string>();
    const kept = new Set([...keys.slice(0, KEEP_CONTEXTS).map(({ k }) => k), current]);
    for (const k of kept) for (const e of this.readIndex(k)) if (e.hash) live.add(e.hash);
    for (const b of safeList(this.blobs)) if (!live.has(b)) rmSync(join(this.blobs, b), { force: true });
  }
}

const damaged = (hash: string) =>
  internal(`a kept build context file is damaged (blob ${hash.slice(0, 12)}): run builder prune and build again`);

function sameHeld(a: HeldEntry | undefined, b: HeldEntry): boolean {
  return (
    a !== undefined &&
    a.type === b.type &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.size === b.size &&
    a.mtime === b.mtime &&
    a.linkname === b.linkname &&
    a.hash === b.hash
  );
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * A blob's bytes, failing if they no longer hash to the blob's name. The last chunk is
 * held back until the hash is checked: a reader that stops at the size it expects would
 * otherwise never see the error.
 */
function verified(path: string, hash: string): Readable {
  const sha = createHash('sha256');
  let held: Buffer | undefined;
  return pipelineCb(
    createReadStream(path, { highWaterMark: 1 << 20 }),
    new Transform({
      transform(c: Buffer, _enc, cb) {
        sha.update(c);
        const out = held;
        held = c;
        cb(null, out);
      },
      flush(cb) {
        if (sha.digest('hex') !== hash) cb(damaged(hash));
        else cb(null, held);
      },
    }),
    () => {},
  );
}
