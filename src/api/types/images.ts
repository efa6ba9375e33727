// Images: list summary, inspect, history, delete and prune answers; the storage driver
// data images and containers share.
import type { Descriptor, Platform } from '../../oci/image-spec.ts';
import type { GraphDriverData, Labels } from './common.ts';
import type { ContainerConfig } from './containers.ts';

export type { GraphDriverData };

/** An OCI descriptor as the API shows it. */
export type OCIDescriptor = Descriptor;
/** An OCI platform as the API shows it. */
export type OCIPlatform = Platform;

export type ImageManifestKind = 'image' | 'attestation' | 'unknown';

/** One platform manifest of an image (GET /images/json?manifests=1, containerd store). */
export interface ImageManifestSummary {
  ID: string;
  Descriptor: OCIDescriptor;
  Available: boolean;
  Size: { Content: number; Total: number };
  Kind: ImageManifestKind;
  ImageData?: { Platform: OCIPlatform; Size: { Unpacked: number }; Containers: string[] | null };
  AttestationData?: { For: string };
}

/** GET /images/json: one entry. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  /** Unix seconds. */
  Created: number;
  Size: number;
  /** -1 unless computed (system df). */
  SharedSize: number;
  /** Deprecated since API 1.43 (equal to Size); still sent by older daemons. */
  VirtualSize?: number;
  Labels: Labels | null;
  /** -1 unless computed (system df). */
  Containers: number;
  Manifests?: ImageManifestSummary[];
}

export interface RootFS {
  Type?: string;
  /** diffIDs, bottom first. */
  Layers?: string[];
}

export interface ImageMetadata {
  /** When the image was last tagged; the zero time when never. */
  LastTagTime?: string;
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Parent: string;
  Comment: string;
  /** RFC 3339; absent when the image has no creation time. */
  Created?: string;
  /** Deprecated: the container a committed image came from. */
  Container?: string;
  /** Deprecated. */
  ContainerConfig?: ContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  /** Deprecated since API 1.43. */
  VirtualSize?: number;
  GraphDriver: GraphDriverData;
  RootFS: RootFS;
  Metadata: ImageMetadata;
}

/** GET /images/{name}/history: one entry, newest first. */
export interface ImageHistoryResponseItem {
  /** The image ID, or "<missing>" for layers of another image. */
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** DELETE /images/{name} and image prune: one entry, Untagged or Deleted. */
export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}
