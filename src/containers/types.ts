// A container is an immutable record (what was asked for at create) plus a mutable state
// (what the runtime did). They are stored in two files so a state write never rewrites
// the config, and `ps`/`inspect` read snapshots of both without waiting on locks.
import type { Digest } from '../common/digest.ts';
import type { RunConfig } from '../oci/image-spec.ts';

export type ContainerConfig = RunConfig & { Image: string };

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount?: number;
}
export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** The HostConfig fields Berth acts on; anything else the client sent is kept verbatim. */
export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  LogConfig?: LogConfig;
  ReadonlyRootfs?: boolean;
  Init?: boolean | null;
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  ShmSize?: number;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  Sysctls?: Record<string, string>;
  OomScoreAdj?: number;
  SecurityOpt?: string[] | null;
  Tmpfs?: Record<string, string>;
  ExtraHosts?: string[] | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  [k: string]: unknown;
}

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

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

export interface EndpointConfig {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
  MacAddress?: string;
  Links?: string[] | null;
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
