// Manifest documents as they come off the wire: the shape must agree with the media type
// (CVE-2021-41190), schema 1 is refused, and an index is narrowed to one platform.
import { invalidArgument, notFound } from '../common/errors.ts';
import { isDigest, type Digest } from '../common/digest.ts';
import {
  MediaType,
  isIndexMediaType,
  isManifestMediaType,
  type Descriptor,
  type Index,
  type Manifest,
  type Platform,
} from '../oci/image-spec.ts';

export const MAX_MANIFEST_BYTES = 4 << 20; // containerd's MaxManifestSize
export const MAX_CONFIG_BYTES = 20 << 20; // moby's importer jsonLimit

export const ACCEPT = [
  MediaType.OCIIndex,
  MediaType.DockerManifestList,
  MediaType.OCIManifest,
  MediaType.DockerManifest,
  MediaType.DockerManifestV1Signed,
  MediaType.DockerManifestV1,
].join(', ');

export type Parsed =
  | { kind: 'manifest'; mediaType: string; doc: Manifest }
  | { kind: 'index'; mediaType: string; doc: Index };

function checkDescriptor(d: unknown, what: string): asserts d is Descriptor {
  const x = d as Descriptor;
  if (
    !x ||
    typeof x !== 'object' ||
    typeof x.mediaType !== 'string' ||
    typeof x.digest !== 'string' ||
    !isDigest(x.digest) ||
    !Number.isSafeInteger(x.size) ||
    x.size < 0
  ) {
    throw invalidArgument(`invalid manifest: bad ${what} descriptor`);
  }
}

/** Parses manifest bytes; `contentType` is the registry's header, used when the document names no type. */
export function parseManifest(bytes: Buffer, contentType?: string): Parsed {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidArgument('invalid manifest: not JSON');
  }
  if (!j || typeof j !== 'object') throw invalidArgument('invalid manifest: not an object');
  const ct = contentType?.split(';')[0].trim();
  const declared = typeof j.mediaType === 'string' ? j.mediaType : undefined;
  if (j.schemaVersion === 1 || ct === MediaType.DockerManifestV1 || ct === MediaType.DockerManifestV1Signed) {
    throw invalidArgument(
      'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of the image to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2.',
    );
  }
  if (j.schemaVersion !== 2)
    throw invalidArgument(`invalid manifest: unsupported schemaVersion ${String(j.schemaVersion)}`);
  const hasLayers = Array.isArray(j.layers);
  const hasManifests = Array.isArray(j.manifests);
  if (hasLayers && hasManifests) throw invalidArgument('invalid manifest: both "layers" and "manifests" are set');
  const mediaType =
    declared ?? (ct && ct !== 'application/json' ? ct : hasManifests ? MediaType.OCIIndex : MediaType.OCIManifest);
  if (declared && ct && ct !== declared && ct !== 'application/json' && ct !== 'application/octet-stream') {
    throw invalidArgument(`invalid manifest: media type ${declared} does not match the Content-Type ${ct}`);
  }
  if (isIndexMediaType(mediaType)) {
    if (!hasManifests || hasLayers || j.config !== undefined)
      throw invalidArgument(`invalid manifest: media type ${mediaType} does not match its content`);
    for (const d of j.manifests as unknown[]) checkDescriptor(d, 'manifest');
    return { kind: 'index', mediaType, doc: j as unknown as Index };
  }
  if (isManifestMediaType(mediaType)) {
    if (!hasLayers || hasManifests)
      throw invalidArgument(`invalid manifest: media type ${mediaType} does not match its content`);
    checkDescriptor(j.config, 'config');
    for (const d of j.layers as unknown[]) checkDescriptor(d, 'layer');
    return { kind: 'manifest', mediaType, doc: j as unknown as Manifest };
  }
  throw invalidArgument(`unsupported manifest media type ${mediaType}`);
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses `linux/arm64/v8` (os defaults to linux when only an arch is given? no: Docker requires os). */
export function parsePlatform(s: string): PlatformSpec {
  const parts = s.toLowerCase().split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  }
  if (parts.length === 1) return { os: parts[0], architecture: hostArch() };
  const architecture = parts[1] === 'x86_64' ? 'amd64' : parts[1] === 'aarch64' ? 'arm64' : parts[1];
  return { os: parts[0], architecture, variant: parts[2] };
}

export function hostArch(): string {
  return (
    (
      {
        x64: 'amd64',
        arm64: 'arm64',
        arm: 'arm',
        ia32: '386',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[process.arch] ?? process.arch
  );
}

export const platformString = (p: PlatformSpec) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** Picks the manifest for `want` from an index (containerd's platforms.Only semantics, simplified). */
export function selectPlatform(index: Index, want: PlatformSpec): Descriptor {
  const matches = (p: Platform | undefined) =>
    !!p &&
    p.os === want.os &&
    p.architecture === want.architecture &&
    (!want.variant ||
      !p.variant ||
      p.variant === want.variant ||
      (want.architecture === 'arm64' && want.variant === 'v8' && !p.variant));
  const candidates = index.manifests.filter(
    (d) => isManifestMediaType(d.mediaType) && matches(d.platform) && d.platform?.os !== 'unknown',
  );
  // Prefer an exact variant.
  const exact = candidates.find((d) => d.platform?.variant === want.variant);
  const found = exact ?? candidates[0];
  if (!found) throw notFound(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  return found;
}

export const asDigest = (s: string): Digest => s as Digest;
