// POST /images/create?fromImage=: resolve the manifest (index → platform), fetch and
// verify the config, download missing layer blobs in parallel (bounded, shared with
// concurrent pulls) into the content store, unpack them as they download and commit them
// in order checking each diffID (pull-layers.ts), make them durable with one syncfs, then
// record the image, its tag and its repo digest.
// Nothing is emitted before the manifest is known, so a missing image is still a 404.
import type { OpContext } from '../../common/context.ts';
import { chainIds, isDigest, sha256, type Digest } from '../../common/digest.ts';
import { errnoCode, internal, invalidArgument, notFound } from '../../common/errors.ts';
import { familiarString, parseReference, validateTag, type Reference } from '../../common/reference.ts';
import { isConfigMediaType, type Manifest } from '../../oci/image-spec.ts';
import type { ImageDocument } from '../../oci/image-spec.ts';
import type { Credentials } from '../../registry/auth.ts';
import type { RegistryClient } from '../../registry/client.ts';
import { connect } from '../../registry/hosts.ts';
import {
  MAX_CONFIG_BYTES,
  hostArch,
  parseManifest,
  parsePlatform,
  selectPlatform,
  type PlatformSpec,
} from '../../registry/manifest.ts';
import type { DistributionDeps, Emit } from './distribution-deps.ts';
import { pullLayers } from './pull-layers.ts';
import { shortId } from '../../common/ids.ts';

export interface PullRequest {
  fromImage: string;
  tag?: string;
  platform?: string;
  auth?: Credentials;
}

/** The reference a pull asks for: `tag` may be a tag or a digest (Docker's API allows both). */
export function pullReference(fromImage: string, tag: string | undefined): Reference {
  const ref = parseReference(fromImage);
  if (tag) {
    if (ref.tag || ref.digest) throw invalidArgument('invalid reference format');
    return isDigest(tag) ? { ...ref, digest: tag } : { ...ref, tag: validateTag(tag) };
  }
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

export interface Resolved {
  client: RegistryClient;
  /** Digest of what the reference points at (an index or a manifest): the repo digest. */
  topDigest: Digest;
  topBytes: Buffer;
  topMediaType: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  manifestDigest: Digest;
  config: Buffer;
  configDigest: Digest;
}

export async function resolveManifest(
  deps: DistributionDeps,
  ctx: OpContext,
  ref: Reference,
  want: PlatformSpec,
  auth?: Credentials,
): Promise<Resolved> {
  const clients = await connect(ref.domain, deps.registry, auth, { signal: ctx.signal });
  const reference = ref.digest ?? ref.tag ?? 'latest';
  let lastErr: unknown;
  for (const client of clients) {
    try {
      const top = await client.getManifest(ref.path, reference, ctx.signal);
      const parsed = parseManifest(top.bytes, top.contentType);
      let manifest: Manifest;
      let manifestBytes = top.bytes;
      let manifestDigest = top.digest;
      if (parsed.kind === 'index') {
        const d = selectPlatform(parsed.doc, want);
        const m = await client.getManifest(ref.path, d.digest, ctx.signal, d.size);
        const p = parseManifest(m.bytes, m.contentType);
        if (p.kind !== 'manifest') throw invalidArgument(`manifest ${d.digest} listed in an index is itself an index`);
        if (p.mediaType !== d.mediaType)
          throw invalidArgument(
            `manifest ${d.digest}: media type ${p.mediaType} does not match the index's ${d.mediaType}`,
          );
        manifest = p.doc;
        manifestBytes = m.bytes;
        manifestDigest = m.digest;
      } else {
        manifest = parsed.doc;
      }
      if (!isConfigMediaType(manifest.config.mediaType)) {
        throw invalidArgument(`unsupported config media type ${manifest.config.mediaType}: not a container image`);
      }
      const configDigest = manifest.config.digest as Digest;
      const config =
        (await localBlob(deps, configDigest, manifest.config.size)) ??
        (await client.getBlobBytes(ref.path, configDigest, manifest.config.size, MAX_CONFIG_BYTES, ctx.signal));
      return {
        client,
        topDigest: top.digest,
        topBytes: top.bytes,
        topMediaType: parsed.mediaType,
        manifest,
        manifestBytes,
        manifestDigest,
        config,
        configDigest,
      };
    } catch (err) {
      lastErr = err;
      if (!client.endpoint.mirror) break;
    }
  }
  throw lastErr;
}

/**
 * A blob the content store already holds (a re-pull's config): content-addressed, so the
 * registry's copy is the same bytes; read back and checked against its digest and size.
 */
async function localBlob(deps: DistributionDeps, digest: Digest, size: number): Promise<Buffer | undefined> {
  if (!isDigest(digest) || size > MAX_CONFIG_BYTES) return undefined;
  const bytes = await deps.content.readBytes(digest, MAX_CONFIG_BYTES).catch(() => undefined);
  return bytes && bytes.length === size && sha256(bytes) === digest ? bytes : undefined;
}

function parseConfig(bytes: Buffer, layers: number, want: PlatformSpec, explicit: boolean): ImageDocument {
  let doc: ImageDocument;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidArgument('invalid image config: not JSON');
  }
  const ids = doc?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && isDigest(d)))
    throw invalidArgument('invalid image config: bad rootfs.diff_ids');
  if (ids.length !== layers)
    throw invalidArgument(
      `invalid image: the manifest has ${layers} layers but the config lists ${ids.length} diff IDs`,
    );
  if (explicit && (doc.os !== want.os || doc.architecture !== want.architecture)) {
    throw notFound(
      `image with reference was found but does not match the specified platform: wanted ${want.os}/${want.architecture}, actual: ${doc.os}/${doc.architecture}`,
    );
  }
  return doc;
}

function clearError(err: unknown): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC') return internal('no space left on device: free space in the data root and pull again', err);
  if (code === 'EDQUOT') return internal('disk quota exceeded', err);
  return err;
}

/**
 * Pulls an image. `emit` receives Docker's progress messages; it is first called once
 * the manifest and config are known (errors before that are thrown normally).
 */
export async function pullImage(
  deps: DistributionDeps,
  ctx: OpContext,
  req: PullRequest,
  emit: Emit,
): Promise<{ id: Digest; digest: Digest }> {
  const ref = pullReference(req.fromImage, req.tag);
  const want = req.platform ? parsePlatform(req.platform) : { os: 'linux', architecture: hostArch() };
  const r = await resolveManifest(deps, ctx, ref, want, req.auth);
  const layers = r.manifest.layers;
  const doc = parseConfig(r.config, layers.length, want, !!req.platform);
  const diffIds = doc.rootfs.diff_ids;
  const chain = chainIds(diffIds);
  const release = deps.leases.take([
    r.topDigest,
    r.manifestDigest,
    r.configDigest,
    ...layers.map((l) => l.digest as Digest),
    ...chain,
  ]);
  const createdHere: { blobs: Digest[]; layers: Digest[] } = { blobs: [], layers: [] };
  try {
    const existed = deps.images.get(r.configDigest);
    emit({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag });
    const missing = layers.map((_l, i) => !deps.layers.has(chain[i]));
    for (const [i, l] of layers.entries()) {
      emit({ status: missing[i] ? 'Pulling fs layer' : 'Already exists', progressDetail: {}, id: shortId(l.digest) });
    }
    await pullLayers(deps, ctx, r.client, { repo: ref.path, layers, diffIds, chain, missing }, emit, createdHere);
    // Layers were committed without their own syncfs: one for all before the image is recorded.
    await deps.layers.flush(chain);
    // What the store holds already is not written again (an up-to-date pull writes nothing).
    const putNew = async (digest: Digest, bytes: Buffer) => {
      if (!(await deps.content.info(digest))) await deps.content.put(bytes);
    };
    await putNew(r.manifestDigest, r.manifestBytes);
    if (r.topDigest !== r.manifestDigest) await putNew(r.topDigest, r.topBytes);
    const img = await deps.images.createFromConfig(r.config, chain);
    const digestRef: Reference = { domain: ref.domain, path: ref.path, digest: r.topDigest };
    const prevTagged = ref.tag ? deps.images.lookupRef(ref) : undefined;
    // A name already on this image stays as it is (dockerd's pull never sets LastTagTime).
    if (deps.images.lookupRef(digestRef) !== img.id) await deps.images.tag(img.id, digestRef);
    if (ref.tag && prevTagged !== img.id) await deps.images.tag(img.id, ref);
    deps.events.publish('image', 'pull', familiarString(ref), { name: familiarString(ref) });
    emit({ status: `Digest: ${r.topDigest}` });
    const upToDate = existed && (!ref.tag || prevTagged === img.id);
    emit({
      status: upToDate
        ? `Status: Image is up to date for ${familiarString(ref)}`
        : `Status: Downloaded newer image for ${familiarString(ref)}`,
    });
    return { id: img.id, digest: r.topDigest };
  } catch (err) {
    // Leave nothing partial: drop what this pull made that nothing else holds.
    release();
    await undo(deps, createdHere).catch((e) => ctx.log.warn('pull cleanup failed', { error: String(e) }));
    throw clearError(err);
  } finally {
    release();
  }
}

async function undo(deps: DistributionDeps, made: { blobs: Digest[]; layers: Digest[] }): Promise<void> {
  const used = new Set<Digest>();
  for (const img of deps.images.list()) for (const c of chainIds(img.doc.rootfs.diff_ids)) used.add(c);
  for (const c of [...made.layers].reverse()) if (!used.has(c) && !deps.leases.has(c)) await deps.layers.remove(c);
  for (const b of made.blobs) if (!deps.leases.has(b)) await deps.content.delete(b);
}
