// OCI image-spec and Docker image manifest v2 schema 2 types, plus the media types that
// tell them apart. JSON keys are the wire names.

import type { Digest } from '../common/digest.ts';

export const MediaType = {
  // Docker schema 2
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerPluginConfig: 'application/vnd.docker.plugin.v1+json',
  // Docker schema 1 (recognised only to refuse it clearly)
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  // OCI
  OCIManifest: 'application/vnd.oci.image.manifest.v1+json',
  OCIIndex: 'application/vnd.oci.image.index.v1+json',
  OCIConfig: 'application/vnd.oci.image.config.v1+json',
  OCILayer: 'application/vnd.oci.image.layer.v1.tar',
  OCILayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCILayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCILayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OCILayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OCIEmptyJSON: 'application/vnd.oci.empty.v1+json',
  OCILayout: 'application/vnd.oci.layout.header.v1+json',
} as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

export const isManifestMediaType = (m: string | undefined) =>
  m === MediaType.DockerManifest || m === MediaType.OCIManifest;
export const isIndexMediaType = (m: string | undefined) =>
  m === MediaType.DockerManifestList || m === MediaType.OCIIndex;
export const isConfigMediaType = (m: string | undefined) => m === MediaType.DockerConfig || m === MediaType.OCIConfig;
export const isLayerMediaType = (m: string | undefined) =>
  m === MediaType.DockerLayer ||
  m === MediaType.DockerForeignLayer ||
  m?.startsWith('application/vnd.oci.image.layer.');

/** Well-known annotation keys. */
export const Annotation = {
  RefName: 'org.opencontainers.image.ref.name',
  Created: 'org.opencontainers.image.created',
  BaseName: 'org.opencontainers.image.base.name',
  BaseDigest: 'org.opencontainers.image.base.digest',
} as const;

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[]; // Docker manifest lists only
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  data?: string;
}

/** Both OCI image manifests and Docker schema 2 manifests. */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string; // required by Docker schema 2, optional in OCI
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** OCI image index and Docker manifest list. */
export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The runtime part of an image config (`config` in the image JSON; Docker's Config). */
export interface RunConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image JSON document (OCI image config with Docker's keys) whose sha256 is the image ID. */
export interface ImageDocument {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  config?: RunConfig;
  container?: string;
  container_config?: RunConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  // Docker keeps the parent image of locally built/committed images outside the JSON.
}

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number; // nanoseconds
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** oci-layout file at the root of an OCI image layout. */
export interface ImageLayout {
  imageLayoutVersion: '1.0.0';
}
