// Containers: the create request (Config + HostConfig + NetworkingConfig), HostConfig
// complete for this API version (resources, mounts, devices, security options …), and the
// daemon's answers: summary (`ps`), inspect, wait, top, changes, prune, update, stats.
import type { HealthConfig, RunConfig } from '../../oci/image-spec.ts';
import type { HostConfigMount, MountPoint } from './mounts.ts';
import type { EndpointSettings, NetworkingConfig, NetworkSettings, PortMap, PortSummary } from './networks.ts';
import type { GraphDriverData, Labels, OpenString } from './common.ts';

/**
 * The container's Config (Go's container.Config): the same document an image's `config`
 * is, so it is declared once, in oci/.
 */
export type ContainerConfig = RunConfig;
export type { HealthConfig };

/** POST /containers/create: Config with HostConfig and NetworkingConfig beside its fields. */
export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: NetworkingConfig;
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

export type RestartPolicyMode = OpenString<'' | 'no' | 'always' | 'unless-stopped' | 'on-failure'>;

export interface RestartPolicy {
  Name?: RestartPolicyMode;
  MaximumRetryCount?: number;
}

export interface LogConfig {
  Type?: OpenString<
    'json-file' | 'local' | 'syslog' | 'journald' | 'gelf' | 'fluentd' | 'awslogs' | 'splunk' | 'etwlogs' | 'none'
  >;
  Config?: Record<string, string> | null;
}

export interface Ulimit {
  Name?: string;
  Soft?: number;
  Hard?: number;
}

export interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  /** "rwm" and subsets. */
  CgroupPermissions?: string;
}

/** --gpus: a request to a device driver. */
export interface DeviceRequest {
  Driver?: string;
  /** -1: all. */
  Count?: number;
  DeviceIDs?: string[] | null;
  /** An OR list of AND lists ([["gpu", "compute"]]). */
  Capabilities?: string[][] | null;
  Options?: Record<string, string> | null;
}

export interface WeightDevice {
  Path?: string;
  Weight?: number;
}

export interface ThrottleDevice {
  Path?: string;
  Rate?: number;
}

/** cgroup limits and ulimits: HostConfig's embedded part, and the body of POST /containers/{id}/update. */
export interface Resources {
  CpuShares?: number;
  /** Bytes. */
  Memory?: number;
  /** CPU quota in units of 1e-9 CPUs. */
  NanoCpus?: number;
  CgroupParent?: string;
  /** 10–1000, 0: unset. */
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  /** Microseconds. */
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DeviceRequest[] | null;
  /** Deprecated (kernel 5.4 dropped kmem limits). */
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  /** Memory + swap; -1: unlimited swap. */
  MemorySwap?: number;
  /** 0–100; null: the host's. */
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  /** 0 or -1: unlimited; null: unchanged. */
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  /**
   * Berth's own, not the Engine API's (its decoder never reads it, inspect never shows it):
   * cgroup v2 files written as given (the CRI's `unified`, e.g. kubelet's memory.swap.max).
   */
  Unified?: Record<string, string> | null;
  /** Windows only. */
  CpuCount?: number;
  /** Windows only. */
  CpuPercent?: number;
  /** Windows only. */
  IOMaximumIOps?: number;
  /** Windows only. */
  IOMaximumBandwidth?: number;
}

export type NetworkMode = OpenString<'default' | 'bridge' | 'host' | 'none'>;
export type CgroupnsMode = OpenString<'' | 'private' | 'host'>;
export type Isolation = OpenString<'' | 'default' | 'process' | 'hyperv'>;

/** Container configuration that depends on the host (Go's container.HostConfig). */
export interface HostConfig extends Resources {
  /** "host-src:container-dest[:options]" or "volume-name:container-dest[:options]". */
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfig;
  /** bridge, host, none, container:<name|id>, or a network's name or ID. */
  NetworkMode?: NetworkMode;
  PortBindings?: PortMap | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  /** "<container>[:ro|rw]". */
  VolumesFrom?: string[] | null;
  /** [height, width]. */
  ConsoleSize?: [number, number];
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: CgroupnsMode;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  /** "host:ip". */
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  /** "", none, private, shareable, container:<id>, host. */
  IpcMode?: string;
  Cgroup?: string;
  /** "name:alias". */
  Links?: string[] | null;
  OomScoreAdj?: number;
  /** "", host, container:<id>. */
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  /** Mount point → tmpfs options ("size=64m,mode=1777"). */
  Tmpfs?: Record<string, string> | null;
  /** "", host. */
  UTSMode?: string;
  /** "", host. */
  UsernsMode?: string;
  /** Bytes; 0: the daemon's default (64 MiB). */
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  /** Windows only. */
  Isolation?: Isolation;
  Mounts?: HostConfigMount[] | null;
  /** Overrides the default masked paths. */
  MaskedPaths?: string[] | null;
  /** Overrides the default read-only paths. */
  ReadonlyPaths?: string[] | null;
  /** Run an init inside the container; null: the daemon's setting. */
  Init?: boolean | null;
}

/** POST /containers/{id}/update. */
export interface ContainerUpdateBody extends Resources {
  RestartPolicy?: RestartPolicy;
}

export interface ContainerUpdateResponse {
  Warnings: string[] | null;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface HealthcheckResult {
  /** RFC 3339 with nanoseconds. */
  Start: string;
  End: string;
  /** 0 healthy, 1 unhealthy, 2 reserved, else the probe could not run. */
  ExitCode: number;
  Output: string;
}

export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthcheckResult[] | null;
}

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Present when the container has a healthcheck. */
  Health?: Health;
}

/** GET /containers/json: one entry. */
export interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  /** Unix seconds. */
  Created: number;
  Ports: PortSummary[] | null;
  /** With size=1. */
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Labels | null;
  State: ContainerStatus;
  /** "Up 3 seconds", "Exited (0) 2 minutes ago" … */
  Status: string;
  HostConfig: { NetworkMode?: string; Annotations?: Record<string, string> };
  NetworkSettings: { Networks: Record<string, EndpointSettings> | null } | null;
  Mounts: MountPoint[] | null;
}

/** GET /containers/{id}/json. */
export interface ContainerInspect {
  Id: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  Path: string;
  Args: string[] | null;
  State: ContainerState;
  /** The image ID. */
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  /** "/name". */
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  GraphDriver: GraphDriverData;
  /** With size=1. */
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPoint[] | null;
  Config: ContainerConfig;
  NetworkSettings: NetworkSettings;
}

export interface ContainerWaitExitError {
  Message: string;
}

/** POST /containers/{id}/wait. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: ContainerWaitExitError | null;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** GET /containers/{id}/top. */
export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][];
}

/** 0 modified, 1 added, 2 deleted. */
export type ChangeType = 0 | 1 | 2;

/** GET /containers/{id}/changes: one entry. */
export interface FilesystemChange {
  Path: string;
  Kind: ChangeType;
}

export interface ContainerPruneResponse {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** X-Docker-Container-Path-Stat of GET/HEAD /containers/{id}/archive (base64 JSON). */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits. */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  linkTarget: string;
}

// ---- GET /containers/{id}/stats ---------------------------------------------------------

export interface ThrottlingData {
  periods: number;
  throttled_periods: number;
  throttled_time: number;
}

export interface CPUUsage {
  /** Nanoseconds of CPU time. */
  total_usage: number;
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface CPUStats {
  cpu_usage: CPUUsage;
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

export interface MemoryStats {
  usage?: number;
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
  commitbytes?: number;
  commitpeakbytes?: number;
  privateworkingset?: number;
}

export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}

export interface StorageStats {
  read_count_normalized?: number;
  read_size_bytes?: number;
  write_count_normalized?: number;
  write_size_bytes?: number;
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
  endpoint_id?: string;
  instance_id?: string;
}

export interface PidsStats {
  current?: number;
  limit?: number;
}

/** One sample of GET /containers/{id}/stats. */
export interface ContainerStatsResponse {
  name?: string;
  id?: string;
  /** RFC 3339 with nanoseconds. */
  read: string;
  preread: string;
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: StorageStats;
  cpu_stats: CPUStats;
  precpu_stats: CPUStats;
  memory_stats: MemoryStats;
  /** By interface name. */
  networks?: Record<string, NetworkStats>;
}
