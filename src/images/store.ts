// Image records: the image JSON lives in the content store (its digest is the image ID);
// images/<hex>/image.json keeps what Docker keeps beside it (parent, last tag time);
// images/repositories.json maps full references to IDs. All writes are atomic.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from '../content/store.ts';
import {
  loadRecordDir,
  quarantine,
  readRecord,
  writeRecord,
  SCHEMA_VERSION,
  type Quarantined,
} from '../metadata/record-dir.ts';
import { hexOf, isDigest, sha256, type Digest } from '../common/digest.ts';
import { conflict, invalidArgument, notFound } from '../common/errors.ts';
import { parseReference, withDefaultTag, fullName, familiarString, type Reference } from '../common/reference.ts';
import { isObject } from '../common/json.ts';
import type { ImageDocument } from '../oci/image-spec.ts';
import type { Image, ImageMeta } from './types.ts';

/** Canonical key of a tagged/digested reference in repositories.json. */
export function refKey(r: Reference): string {
  return fullName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

export interface ImageStoreDeps {
  readonly root: string; // <data-root>/images
  readonly content: ContentStore;
  /** Size of a layer chain element, by chain ID, for image sizes. */
  readonly layerSize: (chainId: Digest) => number;
  /** Whether a layer is present; images whose layers are gone are not loaded (moby#36304). */
  readonly hasLayer?: (chainId: Digest) => boolean;
}

export class ImageStore {
  private readonly deps: ImageStoreDeps;
  private readonly images = new Map<Digest, Image>();
  private refs = new Map<string, Digest>();

  constructor(deps: ImageStoreDeps) {
    this.deps = deps;
  }

  private get recordsDir() {
    return join(this.deps.root, 'db');
  }
  private get refsPath() {
    return join(this.deps.root, 'repositories.json');
  }
  private get quarantineDir() {
    return join(this.deps.root, 'quarantine');
  }

  async load(chainIdsOf: (doc: ImageDocument) => Digest[]): Promise<Quarantined[]> {
    await mkdir(this.recordsDir, { recursive: true, mode: 0o700 });
    const isMeta = (v: unknown): v is ImageMeta => isObject(v) && typeof v.id === 'string' && isDigest(v.id);
    const { records, quarantined } = await loadRecordDir(this.recordsDir, 'image.json', 'image', isMeta);
    for (const meta of records.values()) {
      try {
        const doc = JSON.parse((await this.deps.content.readBytes(meta.id)).toString()) as ImageDocument;
        const chain = chainIdsOf(doc);
        const missing = this.deps.hasLayer ? chain.find((c) => !this.deps.hasLayer!(c)) : undefined;
        if (missing) {
          quarantined.push(
            await quarantine(
              join(this.recordsDir, hexOf(meta.id)),
              this.quarantineDir,
              `image-${hexOf(meta.id)}`,
              `image ${meta.id}: layer ${missing} is missing or damaged`,
            ),
          );
          continue;
        }
        this.images.set(meta.id, this.build(meta, doc, chain));
      } catch (err) {
        quarantined.push(
          await quarantine(
            join(this.recordsDir, hexOf(meta.id)),
            this.quarantineDir,
            `image-${hexOf(meta.id)}`,
            `image ${meta.id}: config unreadable: ${(err as Error).message}`,
          ),
        );
      }
    }
    let refs: { refs?: Record<string, unknown> } | undefined;
    try {
      refs = await readRecord<{ refs: Record<string, string> }>(this.refsPath);
      if (refs !== undefined && !(isObject(refs) && isObject(refs.refs)))
        throw new Error('record does not have the expected shape');
    } catch (err) {
      // Every tag is lost with it, but the images stay (by ID) and the file is kept aside.
      refs = undefined;
      quarantined.push(
        await quarantine(
          this.refsPath,
          this.quarantineDir,
          'repositories.json',
          `image tags (repositories.json): ${(err as Error).message}`,
        ),
      );
    }
    for (const [k, v] of Object.entries(refs?.refs ?? {})) {
      if (typeof v === 'string' && isDigest(v) && this.images.has(v)) this.refs.set(k, v);
    }
    return quarantined;
  }

  private build(meta: ImageMeta, doc: ImageDocument, chain: Digest[]): Image {
    const size = chain.reduce((n, c) => n + this.deps.layerSize(c), 0);
    return Object.freeze({ id: meta.id, doc: deepFreeze(doc), meta, size });
  }

  /** Records an image whose layers are already registered; returns the existing one if present. */
  async create(doc: ImageDocument, chain: Digest[], opts: { parent?: Digest } = {}): Promise<Image> {
    return this.createFromConfig(Buffer.from(JSON.stringify(doc)), chain, opts);
  }

  /** Records an image from its config's exact bytes (pulled/loaded: the ID is their digest). */
  async createFromConfig(bytes: Buffer, chain: Digest[], opts: { parent?: Digest } = {}): Promise<Image> {
    const id = sha256(bytes);
    const existing = this.images.get(id);
    if (existing) return existing;
    await this.deps.content.put(bytes);
    const meta: ImageMeta = { schema: SCHEMA_VERSION, id, parent: opts.parent };
    await mkdir(join(this.recordsDir, hexOf(id)), { recursive: true, mode: 0o700 });
    await writeRecord(join(this.recordsDir, hexOf(id), 'image.json'), meta);
    const img = this.build(meta, JSON.parse(bytes.toString()), chain);
    this.images.set(id, img);
    return img;
  }

  get(id: Digest): Image | undefined {
    return this.images.get(id);
  }

  list(): Image[] {
    return [...this.images.values()];
  }

  /** Resolves a user's image name: full/short ID, or a reference (default tag latest). */
  resolve(input: string): Image {
    const found = this.tryResolve(input);
    if (!found) throw notFound(`No such image: ${displayName(input)}`);
    return found;
  }

  tryResolve(input: string): Image | undefined {
    if (input.startsWith('sha256:')) {
      const hex = input.slice(7);
      return /^[0-9a-f]{1,64}$/.test(hex) ? this.byPrefix(hex) : undefined;
    }
    let ref: Reference | undefined;
    try {
      ref = withDefaultTag(parseReference(input));
    } catch {
      /* maybe an ID prefix */
    }
    if (ref) {
      const id = this.refs.get(refKey(ref));
      if (id) return this.images.get(id);
    }
    if (/^[0-9a-f]{1,64}$/.test(input)) return this.byPrefix(input);
    return undefined;
  }

  private byPrefix(hex: string): Image | undefined {
    let found: Image | undefined;
    for (const img of this.images.values()) {
      if (hexOf(img.id).startsWith(hex)) {
        if (found) throw invalidArgument(`multiple IDs found with provided prefix: ${hex}`);
        found = img;
      }
    }
    return found;
  }

  /** Familiar `repo:tag` strings pointing at an image. */
  tagsOf(id: Digest): string[] {
    const out: string[] = [];
    for (const [k, v] of this.refs) if (v === id && !k.includes('@')) out.push(familiarString(parseReference(k)));
    return out.sort();
  }

  digestsOf(id: Digest): string[] {
    const out = new Set<string>(this.images.get(id)?.meta.repoDigests ?? []);
    for (const [k, v] of this.refs) if (v === id && k.includes('@')) out.add(familiarString(parseReference(k)));
    return [...out].sort();
  }

  refsOf(id: Digest): Reference[] {
    const out: Reference[] = [];
    for (const [k, v] of this.refs) if (v === id) out.push(parseReference(k));
    return out;
  }

  lookupRef(ref: Reference): Digest | undefined {
    return this.refs.get(refKey(ref));
  }

  async tag(id: Digest, ref: Reference): Promise<void> {
    if (!this.images.has(id)) throw notFound(`No such image: ${id}`);
    const r = withDefaultTag(ref);
    this.refs.set(refKey(r), id);
    await this.saveRefs();
    const img = this.images.get(id)!;
    const meta = { ...img.meta, lastTagTime: new Date().toISOString() };
    await writeRecord(join(this.recordsDir, hexOf(id), 'image.json'), meta);
    this.images.set(id, Object.freeze({ ...img, meta }));
  }

  /** Removes a reference; returns the image it pointed at. */
  async untag(ref: Reference): Promise<Digest> {
    const key = refKey(withDefaultTag(ref));
    const id = this.refs.get(key);
    if (!id) throw notFound(`No such image: ${familiarString(ref)}`);
    this.refs.delete(key);
    await this.saveRefs();
    return id;
  }

  /** Deletes the record; the caller has checked references and containers. */
  async delete(id: Digest): Promise<void> {
    if ([...this.refs.values()].includes(id)) throw conflict(`image ${id} is still tagged`);
    this.images.delete(id);
    await rm(join(this.recordsDir, hexOf(id)), { recursive: true, force: true });
    await this.deps.content.delete(id);
  }

  children(id: Digest): Image[] {
    return this.list().filter((i) => i.meta.parent === id);
  }

  private async saveRefs(): Promise<void> {
    await writeRecord(this.refsPath, { refs: Object.fromEntries(this.refs) });
  }
}

/** How Docker names a missing image: references get their default tag (busybox → busybox:latest). */
export function displayName(input: string): string {
  if (input.startsWith('sha256:')) return input;
  try {
    return familiarString(withDefaultTag(parseReference(input)));
  } catch {
    return input;
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
