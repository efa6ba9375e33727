// Go types of the containers API's request bodies (moby api/types/container, mount,
// blkiodev, go-units and go-connections/nat at API 1.47), with the names dockerd's
// decoder prints.
import type {
  ContainerConfig,
  ContainerCreateBody,
  ContainerUpdateBody,
  DeviceMapping,
  DeviceRequest,
  HealthConfig,
  HostConfig,
  LogConfig,
  Resources,
  RestartPolicy,
  ThrottleDevice,
  Ulimit,
  WeightDevice,
} from '../types/containers.ts';
import type { ExecCreateBody, ExecStartBody } from '../types/exec.ts';
import type {
  BindOptions,
  HostConfigMount,
  ImageOptions,
  MountDriverConfig,
  TmpfsOptions,
  VolumeOptions,
} from '../types/mounts.ts';
import {
  array2,
  bool,
  emptyStruct,
  type Fields,
  goString,
  int,
  int64,
  map,
  slice,
  str,
  strSlice,
  struct,
  uint,
} from './go-json.ts';
import type { PortBinding } from '../types/networks.ts';
import { networkingConfig } from './networks.ts';

const strings = slice(str);
const stringMap = map(str);
const duration = int('time.Duration');

const healthConfig = struct<HealthConfig>('v1.HealthcheckConfig', {
  Test: strings,
  Interval: duration,
  Timeout: duration,
  StartPeriod: duration,
  StartInterval: duration,
  Retries: int(),
});

/** container.Config's fields (embedded in the create request, so reported under its name). */
const configFields: Fields<ContainerConfig> = {
  Hostname: str,
  Domainname: str,
  User: str,
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ExposedPorts: map(emptyStruct, 'nat.PortSet'),
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strings,
  Cmd: strSlice,
  Healthcheck: healthConfig,
  ArgsEscaped: bool,
  Image: str,
  Volumes: map(emptyStruct),
  WorkingDir: str,
  Entrypoint: strSlice,
  NetworkDisabled: bool,
  MacAddress: str,
  OnBuild: strings,
  Labels: stringMap,
  StopSignal: str,
  StopTimeout: int(),
  Shell: strSlice,
};

/** []*units.Ulimit (HostConfig.Ulimits, /build's ulimits). */
export const ulimits = slice(
  struct<Ulimit>('units.Ulimit', { Name: str, Hard: int64, Soft: int64 }),
  '[]*units.Ulimit',
);

const throttleDevices = slice(
  struct<ThrottleDevice>('blkiodev.ThrottleDevice', { Path: str, Rate: uint('uint64') }),
  '[]*blkiodev.ThrottleDevice',
);

/**
 * container.Resources' fields (embedded in HostConfig and UpdateConfig). Unified is Berth's
 * own (the CRI's cgroup v2 files): the Engine API never reads it.
 */
const resourcesFields: Fields<Omit<Resources, 'Unified'>> = {
  CpuShares: int64,
  Memory: int64,
  NanoCpus: int64,
  CgroupParent: str,
  BlkioWeight: uint('uint16', 16),
  BlkioWeightDevice: slice(
    struct<WeightDevice>('blkiodev.WeightDevice', { Path: str, Weight: uint('uint16', 16) }),
    '[]*blkiodev.WeightDevice',
  ),
  BlkioDeviceReadBps: throttleDevices,
  BlkioDeviceWriteBps: throttleDevices,
  BlkioDeviceReadIOps: throttleDevices,
  BlkioDeviceWriteIOps: throttleDevices,
  CpuPeriod: int64,
  CpuQuota: int64,
  CpuRealtimePeriod: int64,
  CpuRealtimeRuntime: int64,
  CpusetCpus: str,
  CpusetMems: str,
  Devices: slice(
    struct<DeviceMapping>('container.DeviceMapping', { PathOnHost: str, PathInContainer: str, CgroupPermissions: str }),
  ),
  DeviceCgroupRules: strings,
  DeviceRequests: slice(
    struct<DeviceRequest>('container.DeviceRequest', {
      Driver: str,
      Count: int(),
      DeviceIDs: strings,
      Capabilities: slice(strings),
      Options: stringMap,
    }),
  ),
  KernelMemory: int64,
  KernelMemoryTCP: int64,
  MemoryReservation: int64,
  MemorySwap: int64,
  MemorySwappiness: int64,
  OomKillDisable: bool,
  PidsLimit: int64,
  Ulimits: ulimits,
  CpuCount: int64,
  CpuPercent: int64,
  IOMaximumIOps: uint('uint64'),
  IOMaximumBandwidth: uint('uint64'),
};

const restartPolicy = struct<RestartPolicy>('container.RestartPolicy', {
  Name: goString('container.RestartPolicyMode'),
  MaximumRetryCount: int(),
});

/** An entry of HostConfig.Mounts (mount.Mount). */
export const hostConfigMount = struct<HostConfigMount>('mount.Mount', {
  Type: goString('mount.Type'),
  Source: str,
  Target: str,
  ReadOnly: bool,
  Consistency: goString('mount.Consistency'),
  BindOptions: struct<BindOptions>('mount.BindOptions', {
    Propagation: goString('mount.Propagation'),
    NonRecursive: bool,
    CreateMountpoint: bool,
    ReadOnlyNonRecursive: bool,
    ReadOnlyForceRecursive: bool,
  }),
  VolumeOptions: struct<VolumeOptions>('mount.VolumeOptions', {
    NoCopy: bool,
    Labels: stringMap,
    Subpath: str,
    DriverConfig: struct<MountDriverConfig>('mount.Driver', { Name: str, Options: stringMap }),
  }),
  TmpfsOptions: struct<TmpfsOptions>('mount.TmpfsOptions', {
    SizeBytes: int64,
    Mode: uint('fs.FileMode', 32),
    Options: slice(strings),
  }),
  ImageOptions: struct<ImageOptions>('mount.ImageOptions', { Subpath: str }),
  ClusterOptions: struct<Record<string, never>>('mount.ClusterOptions', {}),
});

export const hostConfig = struct<Omit<HostConfig, 'Unified'>>('container.HostConfig', {
  Binds: strings,
  ContainerIDFile: str,
  LogConfig: struct<LogConfig>('container.LogConfig', { Type: str, Config: stringMap }),
  NetworkMode: goString('container.NetworkMode'),
  PortBindings: map(slice(struct<PortBinding>('nat.PortBinding', { HostIp: str, HostPort: str })), 'nat.PortMap'),
  RestartPolicy: restartPolicy,
  AutoRemove: bool,
  VolumeDriver: str,
  VolumesFrom: strings,
  ConsoleSize: array2(uint('uint')),
  Annotations: stringMap,
  CapAdd: strSlice,
  CapDrop: strSlice,
  CgroupnsMode: goString('container.CgroupnsMode'),
  Dns: strings,
  DnsOptions: strings,
  DnsSearch: strings,
  ExtraHosts: strings,
  GroupAdd: strings,
  IpcMode: goString('container.IpcMode'),
  Cgroup: goString('container.CgroupSpec'),
  Links: strings,
  OomScoreAdj: int(),
  PidMode: goString('container.PidMode'),
  Privileged: bool,
  PublishAllPorts: bool,
  ReadonlyRootfs: bool,
  SecurityOpt: strings,
  StorageOpt: stringMap,
  Tmpfs: stringMap,
  UTSMode: goString('container.UTSMode'),
  UsernsMode: goString('container.UsernsMode'),
  ShmSize: int64,
  Sysctls: stringMap,
  Runtime: str,
  Isolation: goString('container.Isolation'),
  ...resourcesFields,
  Mounts: slice(hostConfigMount),
  MaskedPaths: strings,
  ReadonlyPaths: strings,
  Init: bool,
});

/** POST /containers/create (container.CreateRequest: Config embedded) and POST /commit's body. */
export const containerCreateBody = struct<ContainerCreateBody>('container.CreateRequest', {
  ...configFields,
  HostConfig: hostConfig,
  NetworkingConfig: networkingConfig,
});

/** POST /containers/{id}/update (container.UpdateConfig: Resources embedded). */
export const containerUpdateBody = struct<Omit<ContainerUpdateBody, 'Unified'>>('container.UpdateConfig', {
  ...resourcesFields,
  RestartPolicy: restartPolicy,
});

const consoleSize = array2(uint('uint'));

/** POST /containers/{id}/exec. */
export const execCreateBody = struct<ExecCreateBody>('container.ExecOptions', {
  User: str,
  Privileged: bool,
  Tty: bool,
  ConsoleSize: consoleSize,
  AttachStdin: bool,
  AttachStderr: bool,
  AttachStdout: bool,
  Detach: bool,
  DetachKeys: str,
  Env: strings,
  WorkingDir: str,
  Cmd: strings,
});

/** POST /exec/{id}/start. */
export const execStartBody = struct<ExecStartBody>('container.ExecStartOptions', {
  Detach: bool,
  Tty: bool,
  ConsoleSize: consoleSize,
});
