// The API's mounts: an entry of HostConfig.Mounts (`--mount`, what a client asks for) and
// a MountPoint (what inspect and `ps` show). The OCI runtime's mount is another shape:
// oci/runtime-spec.ts's Mount.
import type { OpenString } from './common.ts';

export type MountType = OpenString<'bind' | 'volume' | 'tmpfs' | 'image' | 'npipe' | 'cluster'>;
export type Propagation = OpenString<'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave'>;
/** Docker Desktop's bind consistency (ignored on Linux by dockerd too). */
export type Consistency = OpenString<'default' | 'consistent' | 'cached' | 'delegated'>;

/** One entry of HostConfig.Mounts (Go's mount.Mount). */
export interface HostConfigMount {
  Type?: MountType;
  /** A host path (bind), a volume name (volume), an image reference (image); none for tmpfs. */
  Source?: string;
  /** The path inside the container. */
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: Consistency;
  BindOptions?: BindOptions | null;
  VolumeOptions?: VolumeOptions | null;
  TmpfsOptions?: TmpfsOptions | null;
  /** API 1.48: an image's filesystem, read-only. */
  ImageOptions?: ImageOptions | null;
  /** Swarm cluster volumes only: an empty object. */
  ClusterOptions?: Record<string, never> | null;
}

export interface BindOptions {
  Propagation?: Propagation;
  /** Do not bind submounts (MS_REC off). */
  NonRecursive?: boolean;
  /** Create the source when it is missing. */
  CreateMountpoint?: boolean;
  /** With ReadOnly: only the top mount read-only. */
  ReadOnlyNonRecursive?: boolean;
  /** With ReadOnly: fail unless every submount can be made read-only. */
  ReadOnlyForceRecursive?: boolean;
}

export interface VolumeOptions {
  /** Do not copy the image's content at the target into a new volume. */
  NoCopy?: boolean;
  Labels?: Record<string, string> | null;
  /** A path inside the volume to mount instead of its root. */
  Subpath?: string;
  DriverConfig?: MountDriverConfig | null;
}

export interface ImageOptions {
  /** A directory inside the image to mount instead of its root. */
  Subpath?: string;
}

export interface MountDriverConfig {
  Name?: string;
  Options?: Record<string, string> | null;
}

export interface TmpfsOptions {
  /** Bytes; 0: unlimited. */
  SizeBytes?: number;
  /** Go's os.FileMode bits (0o1777 …). */
  Mode?: number;
  /** Raw tmpfs options, each [name] or [name, value]. */
  Options?: string[][] | null;
}

/** A mount as inspect and `ps` show it. */
export interface MountPoint {
  Type?: MountType;
  /** A volume's name. */
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  /** The options of a -v string ("ro", "z" …), as given. */
  Mode: string;
  RW: boolean;
  Propagation: Propagation;
}
