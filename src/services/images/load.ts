// POST /images/load: Docker's archive (manifest.json, legacy or Docker 25+ layout) or a
// plain OCI image layout (index.json). The archive is unpacked into a private directory
// under the content store's ingest area (regular files only, names checked, symlinks
// resolved inside the archive), then each image's layers are registered in order with
// their diffIDs checked against the config before anything is recorded.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { chainIds, hexOf, isDigest, sha256 } from '../../common/digest.ts';
import { invalidArgument } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { familiarString, parseReference, withDefaultTag } from '../../common/reference.ts';
import { isIndexMediaType, type Index, type Manifest } from '../../oci/image-spec.ts';
import type { ImageDocument } from '../../oci/image-spec.ts';
import { TarReader } from '../../tar/reader.ts';
import { MAX_CONFIG_BYTES } from '../../registry/manifest.ts';
import type { DistributionDeps, Emit } from './distribution-deps.ts';

const SAFE = /^[A-Za-z0-9._:@+-][A-Za-z0-9._:@+/-]*$/;

function cleanName(name: string): string | undefined {
  const n = posix.normalize(name.replace(/^\.\//, '')).replace(/\/+$/, '');
  if (n === '.' || n === '') return undefined;
  if (n.startsWith('/') || n === '..' || n.startsWith('../') || !SAFE.test(n))
    throw invalidArgument(`invalid archive: entry name ${JSON.stringify(name)} is not allowed`);
  return n;
}

interface Unpacked {
  dir: string;
  files: Map<string, string>;
}

async function unpack(src: Readable, dir: string): Promise<Unpacked> {
  const files = new Map<string, string>(); // archive name → file in dir
  const links = new Map<string, string>();
  let n = 0;
  for await (const e of new TarReader(src)) {
    const name = cleanName(e.header.name);
    if (!name) continue;
    if (e.header.type === 'dir') continue;
    if (e.header.type === 'symlink') {
      links.set(name, posix.normalize(posix.join(posix.dirname(name), e.header.linkname)));
      continue;
    }
    if (e.header.type === 'hardlink') {
      links.set(name, cleanName(e.header.linkname) ?? '');
      continue;
    }
    if (e.header.type !== 'file') throw invalidArgument(`invalid archive: ${name} is not a regular file`);
    const p = join(dir, `f${n++}`);
    await pipeline(Readable.from(e.body), createWriteStream(p, { mode: 0o600 }));
    files.set(name, p);
  }
  for (const [name, target] of links) {
    const p = files.get(target);
    if (p) files.set(name, p); // a target outside the archive simply does not resolve
  }
  return { dir, files };
}

async function readSmall(u: Unpacked, name: string, max = MAX_CONFIG_BYTES): Promise<Buffer> {
  const p = u.files.get(cleanName(name) ?? '');
  if (!p) throw invalidArgument(`invalid archive: ${name} is missing`);
  if ((await stat(p)).size > max) throw invalidArgument(`invalid archive: ${name} is larger than ${max} bytes`);
  return readFile(p);
}

interface ToLoad {
  config: Buffer;
  layers: string[];
  tags: string[];
}

async function fromOciLayout(u: Unpacked): Promise<ToLoad[]> {
  const out: ToLoad[] = [];
  const blob = (d: string) => {
    if (!isDigest(d)) throw invalidArgument(`invalid digest ${d}`);
    return `blobs/sha256/${hexOf(d)}`;
  };
  const walk = async (idx: Index, tagOf: (a?: Record<string, string>) => string | undefined) => {
    for (const d of idx.manifests) {
      const bytes = await readSmall(u, blob(d.digest), 4 << 20);
      if (sha256(bytes) !== d.digest) throw invalidArgument(`invalid archive: ${d.digest} does not match its content`);
      const doc = JSON.parse(bytes.toString()) as Manifest & Index;
      if (isIndexMediaType(d.mediaType) || Array.isArray(doc.manifests)) {
        await walk(doc, tagOf);
        continue;
      }
      const tag = tagOf(d.annotations);
      out.push({
        config: await readSmall(u, blob(doc.config.digest)),
        layers: doc.layers.map((l) => blob(l.digest)),
        tags: tag ? [tag] : [],
      });
    }
  };
  const index = JSON.parse((await readSmall(u, 'index.json', 4 << 20)).toString()) as Index;
  await walk(
    index,
    (a) =>
      a?.['io.containerd.image.name'] ??
      (a?.['org.opencontainers.image.ref.name']?.includes(':') ? a['org.opencontainers.image.ref.name'] : undefined),
  );
  return out;
}

interface ManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** manifest.json, with dockerd's messages for what is not one. */
function parseManifestJson(bytes: Buffer): ManifestItem[] {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString());
  } catch (err) {
    throw invalidArgument(`invalid archive: failed to decode manifest.json: ${(err as Error).message}`);
  }
  if (m === null) throw invalidArgument('invalid manifest, manifest cannot be null (but can be [])');
  if (!Array.isArray(m))
    throw invalidArgument(
      `invalid archive: failed to decode manifest.json: json: cannot unmarshal ${typeof m === 'object' ? 'object' : typeof m} into Go value of type []tarexport.manifestItem`,
    );
  for (const e of m)
    if (!e || typeof e !== 'object' || typeof (e as ManifestItem).Config !== 'string')
      throw invalidArgument('invalid archive: failed to decode manifest.json: an entry has no Config');
  return m as ManifestItem[];
}

/** What is not a tar reads as Go's archive/tar says it. */
function tarError(err: unknown): unknown {
  const msg = (err as Error).message ?? '';
  if (msg.startsWith('invalid tar header')) return invalidArgument('archive/tar: invalid tar header', err);
  if (msg === 'unexpected end of archive') return invalidArgument('unexpected EOF', err);
  return err;
}

export async function loadImages(
  deps: DistributionDeps,
  ctx: OpContext,
  src: Readable,
  quiet: boolean,
  emit: Emit,
): Promise<void> {
  const dir = join(deps.content.root, 'ingest', `load-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const loaded: string[] = [];
  try {
    // docker load takes compressed archives too (docker save | gzip).
    const u = await unpack(await deps.decompress(src), dir).catch((err) => {
      throw tarError(err);
    });
    let items: ToLoad[];
    if (u.files.has('manifest.json')) {
      items = [];
      for (const e of parseManifestJson(await readSmall(u, 'manifest.json', 4 << 20))) {
        const config = await readSmall(u, e.Config).catch(() => {
          throw invalidArgument(`open ${e.Config}: no such file or directory`);
        });
        items.push({ config, layers: e.Layers ?? [], tags: e.RepoTags ?? [] });
      }
    } else if (u.files.has('index.json')) {
      items = await fromOciLayout(u);
    } else {
      throw invalidArgument('invalid archive: does not contain a manifest.json');
    }
    // A client that left gets no more images made for it (each image is whole or absent).
    for (const it of items) {
      ctx.signal.throwIfAborted();
      loaded.push(...(await loadOne(deps, u, it)));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const l of loaded) emit({ stream: l + '\n' });
  if (!loaded.length) emit({ stream: '' });
  void quiet;
}

async function loadOne(deps: DistributionDeps, u: Unpacked, it: ToLoad): Promise<string[]> {
  let doc: ImageDocument;
  try {
    doc = JSON.parse(it.config.toString());
  } catch {
    throw invalidArgument('invalid archive: image config is not JSON');
  }
  const diffIds = doc?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => isDigest(d)))
    throw invalidArgument("invalid archive: the config's diff IDs do not match its layers");
  if (diffIds.length !== it.layers.length)
    throw invalidArgument(
      `invalid manifest, layers length mismatch: expected ${it.layers.length}, got ${diffIds.length}`,
    );
  const chain = chainIds(diffIds);
  const release = deps.leases.take([...diffIds, ...chain]);
  try {
    for (let i = 0; i < it.layers.length; i++) {
      const p = u.files.get(cleanName(it.layers[i]) ?? '');
      if (!p) throw invalidArgument(`invalid archive: layer ${it.layers[i]} is missing`);
      if (!(await deps.content.info(diffIds[i]))) {
        const plain = await deps.decompress(createReadStream(p));
        await deps.content.ingestStream(plain, { digest: diffIds[i] }).catch((err) => {
          throw invalidArgument(`invalid archive: layer ${it.layers[i]}: ${(err as Error).message}`, err);
        });
      }
      if (deps.layers.has(chain[i])) continue;
      const res = await deps.layers.register(i === 0 ? null : chain[i - 1], deps.content.readStream(diffIds[i]));
      if (res.diffId !== diffIds[i])
        throw invalidArgument(
          `invalid archive: layer ${it.layers[i]} has diffID ${res.diffId}, expected ${diffIds[i]}`,
        );
    }
    await deps.layers.flush(chain); // layers a pull in flight has not flushed yet
    const img = await deps.images.createFromConfig(it.config, chain);
    const out: string[] = [];
    for (const t of it.tags) {
      const ref = withDefaultTag(parseReference(t));
      await deps.images.tag(img.id, ref);
      out.push(`Loaded image: ${familiarString(ref)}`);
    }
    if (!it.tags.length) out.push(`Loaded image ID: ${img.id}`);
    deps.events.publish('image', 'load', img.id, {});
    return out;
  } finally {
    release();
  }
}
