// A container is an immutable record (what was asked for at create) plus a mutable state
// (what the runtime did). They are stored in two files so a state write never rewrites
// the config, and `ps`/`inspect` read snapshots of both without waiting on locks.
// The record keeps the Engine API's own shapes (as moby's does): Config and HostConfig as
// the create request carried them once decoded and checked, the image's config merged in.
import type { Digest } from '../common/digest.ts';
import type {
  ContainerConfig as ApiContainerConfig,
  ContainerStatus,
  Health,
  HostConfig,
} from '../api/types/containers.ts';
import type { EndpointSettings } from '../api/types/networks.ts';
import type { HostConfigMount } from '../api/types/mounts.ts';

export type { HostConfig };

/** The container's Config: the request's merged over the image's; Image as the user named it. */
export type ContainerConfig = ApiContainerConfig & { Image: string };

/** A network's settings as the client asked for them (EndpointsConfig, `network connect`). */
export type EndpointConfig = EndpointSettings;

export type Status = ContainerStatus;

/**
 * One of a container's mounts as resolved at create (Docker's MountPoint): volumes named or
 * made, binds and tmpfs from Binds, Mounts, Config.Volumes, the image's VOLUMEs and
 * VolumesFrom. `inspect` shows Type…Propagation as they are.
 */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs' | 'image';
  /** The volume's name (volumes only). */
  Name: string;
  /** Bind: the host path. Volume: its data's host path when created. Image: the image's ID. Tmpfs: ''. */
  Source: string;
  Destination: string;
  /** The volume's driver (volumes only). */
  Driver: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** The API Mount this came from (Binds are turned into one): named vs anonymous, options. */
  Spec: HostConfigMount;
  /** A Mounts bind without CreateMountpoint: its source is never created. */
  SkipMountpointCreation?: boolean;
}

export interface ContainerState {
  Status: Status;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  OOMKilled: boolean;
  /** HEALTHCHECK results (containers with a healthcheck only): status, streak, last 5. */
  Health?: Health;
}

export interface ContainerRecord {
  schema: number;
  id: string;
  name: string;
  created: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  image: Digest;
  /** Where the json-file log lives. */
  logPath: string;
  /** Networks the container is connected to (NetworkingConfig.EndpointsConfig, kept by connect/disconnect). */
  endpointsConfig?: Record<string, EndpointConfig>;
  /** The NetworkMode network after `network disconnect` from it: Docker keeps NetworkMode. */
  primaryDetached?: boolean;
  /** Resolved at create; absent in records from before volumes (their Binds are all host paths). */
  mounts?: MountPoint[];
  /** Created under userns-remap: the host ids of its root (its upper layer and host files belong to them). */
  remappedRoot?: { uid: number; gid: number };
}

export interface ContainerRuntimeState {
  schema: number;
  /** Written only through containers/state-machine.ts (transition, recordFields). */
  readonly state: Readonly<ContainerState>;
  restartCount: number;
  /** Set by an explicit stop; unless-stopped and always stay down until the next start. */
  manuallyStopped: boolean;
  hasBeenStarted: boolean;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerRuntimeState {
  return {
    schema: 1,
    state: {
      Status: 'created',
      Pid: 0,
      ExitCode: 0,
      Error: '',
      StartedAt: ZERO_TIME,
      FinishedAt: ZERO_TIME,
      OOMKilled: false,
    },
    restartCount: 0,
    manuallyStopped: false,
    hasBeenStarted: false,
  };
}
