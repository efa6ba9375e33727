// A container is an immutable record (what was asked for at create) plus a mutable state
// (what the runtime did). They are stored in two files so a state write never rewrites
// the config, and `ps`/`inspect` read snapshots of both without waiting on locks.
// The record keeps the Engine API's own shapes (as moby's does): Config and HostConfig as
// the create request carried them once decoded and checked, the image's config merged in.
import type { Digest } from '../common/digest.ts';
import type { ContainerConfig as ApiContainerConfig, ContainerStatus, HostConfig } from '../api/types/containers.ts';
import type { EndpointSettings } from '../api/types/networks.ts';

export type { HostConfig };

/** The container's Config: the request's merged over the image's; Image as the user named it. */
export type ContainerConfig = ApiContainerConfig & { Image: string };

/** A network's settings as the client asked for them (EndpointsConfig, `network connect`). */
export type EndpointConfig = EndpointSettings;

export type Status = ContainerStatus;

export interface ContainerState {
  Status: Status;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  OOMKilled: boolean;
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
