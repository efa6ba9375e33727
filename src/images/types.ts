// Image documents as stored and as served. The config document's keys follow the OCI
// image spec / Docker image JSON, so the bytes we hash are the bytes other engines expect.
import type { Digest } from '../common/digest.ts';

/** The runtime part of an image config (`config` in the image JSON; Docker's Config). */
export interface RunConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: Record<string, unknown>;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Entrypoint?: string[];
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[];
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image JSON document whose sha256 is the image ID. */
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

/** What we keep about an image beside its document. */
export interface ImageMeta {
  schema: number;
  id: Digest;
  parent?: Digest;
  lastTagTime?: string;
  /** Registry digests (repo@sha256:…) once pulled or pushed. */
  repoDigests?: string[];
}

export interface Image {
  readonly id: Digest;
  readonly doc: ImageDocument;
  readonly meta: ImageMeta;
  /** Size of all layers, bytes. */
  readonly size: number;
}
