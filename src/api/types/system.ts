// /version, /info and /system/df.
import type { OpenString } from './common.ts';
import type { ContainerSummary } from './containers.ts';
import type { ImageSummary } from './images.ts';
import type { Volume } from './volumes.ts';
import type { BuildCache } from './build.ts';

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** GET /version. */
export interface SystemVersion {
  Platform?: { Name: string };
  Components?: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

export interface PluginsInfo {
  Volume: string[] | null;
  Network: string[] | null;
  Authorization: string[] | null;
  Log: string[] | null;
}

export interface IndexInfo {
  Name: string;
  Mirrors: string[] | null;
  Secure: boolean;
  Official: boolean;
}

export interface RegistryServiceConfig {
  AllowNondistributableArtifactsCIDRs?: string[] | null;
  AllowNondistributableArtifactsHostnames?: string[] | null;
  /** CIDRs. */
  InsecureRegistryCIDRs: string[] | null;
  IndexConfigs: Record<string, IndexInfo> | null;
  Mirrors: string[] | null;
}

/** A runtime in /info's Runtimes. */
export interface RuntimeInfo {
  path?: string;
  runtimeArgs?: string[];
  runtimeType?: string;
  options?: Record<string, unknown>;
  status?: Record<string, string>;
}

/** A component's commit: the one running and the one the daemon was built against. */
export interface Commit {
  ID: string;
  Expected?: string;
}

export type LocalNodeState = OpenString<'' | 'inactive' | 'pending' | 'active' | 'error' | 'locked'>;

export interface SwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState: LocalNodeState;
  ControlAvailable: boolean;
  Error: string;
  RemoteManagers: { NodeID: string; Addr: string }[] | null;
  Nodes?: number;
  Managers?: number;
  /** Only on a manager: the cluster's spec and TLS info. */
  Cluster?: Record<string, unknown>;
  Warnings?: string[];
}

export interface ContainerdInfo {
  Address?: string;
  Namespaces: { Containers: string; Plugins: string };
}

/** A swarm generic resource (/info GenericResources). */
export interface GenericResource {
  NamedResourceSpec?: { Kind: string; Value: string };
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

/** GET /info. */
export interface SystemInfo {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][] | null;
  /** Swarm standalone only. */
  SystemStatus?: [string, string][];
  Plugins: PluginsInfo;
  MemoryLimit: boolean;
  SwapLimit: boolean;
  /** Deprecated. */
  KernelMemory?: boolean;
  KernelMemoryTCP?: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  IPv4Forwarding: boolean;
  BridgeNfIptables: boolean;
  BridgeNfIp6tables: boolean;
  Debug: boolean;
  NFd: number;
  OomKillDisable: boolean;
  NGoroutines: number;
  /** RFC 3339 with nanoseconds. */
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: OpenString<'cgroupfs' | 'systemd' | 'none'>;
  CgroupVersion?: OpenString<'1' | '2'>;
  NEventsListener: number;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: string;
  Architecture: string;
  IndexServerAddress: string;
  RegistryConfig: RegistryServiceConfig | null;
  NCPU: number;
  MemTotal: number;
  GenericResources: GenericResource[] | null;
  DockerRootDir: string;
  HttpProxy: string;
  HttpsProxy: string;
  NoProxy: string;
  Name: string;
  Labels: string[] | null;
  ExperimentalBuild: boolean;
  ServerVersion: string;
  Runtimes: Record<string, RuntimeInfo> | null;
  DefaultRuntime: string;
  Swarm: SwarmInfo;
  LiveRestoreEnabled: boolean;
  Isolation: string;
  InitBinary: string;
  ContainerdCommit: Commit;
  RuncCommit: Commit;
  InitCommit: Commit;
  SecurityOptions: string[] | null;
  ProductLicense?: string;
  DefaultAddressPools?: { Base: string; Size: number }[];
  CDISpecDirs: string[] | null;
  Containerd?: ContainerdInfo;
  /** Conditions the operator should see. */
  Warnings: string[] | null;
}

/** GET /system/df: each part present when asked for (all when `type` is not given). */
export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: Volume[] | null;
  BuildCache?: BuildCache[] | null;
}
