// Volumes: create, inspect/list, prune, and the Swarm cluster-volume parts they carry.
import type { Labels, OpenString } from './common.ts';

/** POST /volumes/create (Go's volume.CreateOptions). */
export interface VolumeCreateBody {
  /** Generated when empty. */
  Name?: string;
  /** "local" when empty. */
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Labels | null;
  /** Swarm cluster volumes only. */
  ClusterVolumeSpec?: ClusterVolumeSpec | null;
}

/** PUT /volumes/{name} (Swarm cluster volumes only). */
export interface VolumeUpdateBody {
  Spec?: ClusterVolumeSpec | null;
}

export interface VolumeUsageData {
  /** Bytes; -1 when not computed. */
  Size: number;
  /** Containers using it; -1 when not computed. */
  RefCount: number;
}

/** GET /volumes/{name} (and each entry of GET /volumes). */
export interface Volume {
  Name: string;
  Driver: string;
  /** Where the volume's data lives on the host. */
  Mountpoint: string;
  /** RFC 3339. */
  CreatedAt?: string;
  /** Driver-specific status. */
  Status?: Record<string, unknown>;
  Labels: Labels | null;
  Scope: OpenString<'local' | 'global'>;
  ClusterVolume?: ClusterVolume;
  /** The driver options it was created with. */
  Options: Record<string, string> | null;
  /** Only from GET /system/df. */
  UsageData?: VolumeUsageData | null;
}

export interface VolumeListResponse {
  Volumes: Volume[] | null;
  Warnings: string[] | null;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

// ---- Swarm cluster volumes --------------------------------------------------------------

export interface ClusterVolumeSpec {
  Group?: string;
  AccessMode?: ClusterVolumeAccessMode | null;
  AccessibilityRequirements?: {
    Requisite?: ClusterVolumeTopology[] | null;
    Preferred?: ClusterVolumeTopology[] | null;
  } | null;
  CapacityRange?: { RequiredBytes?: number; LimitBytes?: number } | null;
  Secrets?: { Key?: string; Secret?: string }[] | null;
  Availability?: OpenString<'active' | 'pause' | 'drain'>;
}

export interface ClusterVolumeAccessMode {
  Scope?: OpenString<'single' | 'multi'>;
  Sharing?: OpenString<'none' | 'readonly' | 'onewriter' | 'all'>;
  MountVolume?: { FsType?: string; MountFlags?: string[] | null } | null;
  BlockVolume?: Record<string, never> | null;
}

export interface ClusterVolumeTopology {
  Segments?: Record<string, string> | null;
}

export interface ClusterVolume {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: ClusterVolumeSpec;
  PublishStatus?: { NodeID?: string; State?: string; PublishContext?: Record<string, string> }[];
  Info?: {
    CapacityBytes?: number;
    VolumeContext?: Record<string, string>;
    VolumeID?: string;
    AccessibleTopology?: ClusterVolumeTopology[];
  };
}
