// Docker's wire shapes for containers: the `ps` summary and the `inspect` document.
import type { Container } from '../../containers/store.ts';
import { ZERO_TIME } from '../../containers/types.ts';
import type { ContainerDeps } from './deps.ts';
import { mountPointsOf } from './mount-points.ts';
import { hostnamePath, hostsPath, resolvConfPath } from './files.ts';
import { chainIds } from '../../common/digest.ts';
import { join } from 'node:path';
import type { ContainerInspect, ContainerSummary, HostConfig } from '../../api/types/containers.ts';
import type { MountPoint } from '../../api/types/mounts.ts';
import type { EndpointSettings } from '../../api/types/networks.ts';

const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${Math.floor(s)} second${Math.floor(s) === 1 ? '' : 's'}`;
  const m = s / 60;
  if (m < 60) return Math.round(m) === 1 ? 'About a minute' : `${Math.round(m)} minutes`;
  const h = m / 60;
  if (h < 1.5) return 'About an hour';
  if (h < 48) return `${Math.round(h)} hours`;
  const d = h / 24;
  if (d < 14) return `${Math.round(d)} days`;
  if (d < 60) return `${Math.round(d / 7)} weeks`;
  if (d < 730) return `${Math.round(d / 30)} months`;
  return `${Math.round(d / 365)} years`;
}

/** The profile `--security-opt apparmor=` named (applied where AppArmor is enabled). */
function appArmorProfileOf(opts: string[] | null | undefined): string {
  for (const o of opts ?? []) if (o.startsWith('apparmor=') || o.startsWith('apparmor:')) return o.slice(9);
  return '';
}

/** The `Status` column: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created"… */
export function statusText(c: Container): string {
  const s = c.runtime.state;
  switch (s.Status) {
    case 'running':
      if (s.Health)
        return `Up ${ago(s.StartedAt)} (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})`;
      return `Up ${ago(s.StartedAt)}`;
    case 'paused':
      return `Up ${ago(s.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return s.FinishedAt === ZERO_TIME ? 'Exited' : `Exited (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
  }
}

function commandText(c: Container): string {
  // Docker single-quotes arguments that contain a space.
  return [c.record.path, ...c.record.args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

/** Docker's MountPoint list: Name and Driver only for volumes (omitempty). */
function mountsOf(deps: Pick<ContainerDeps, 'volumes'>, c: Container): MountPoint[] {
  return mountPointsOf(c.record).map((m) => ({
    Type: m.Type,
    ...(m.Name ? { Name: m.Name } : {}),
    Source: deps.volumes.sourceOf(c, m),
    Destination: m.Destination,
    ...(m.Driver ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

function networkMode(c: Container): string {
  const m = c.record.hostConfig.NetworkMode;
  return !m || m === 'default' ? 'bridge' : m;
}

function networksOf(c: Container): Record<string, EndpointSettings> {
  const mode = networkMode(c);
  return {
    [mode]: {
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      MacAddress: '',
      NetworkID: '',
      EndpointID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DriverOpts: null,
      DNSNames: null,
    },
  };
}

export function containerSummary(
  deps: Pick<ContainerDeps, 'network' | 'volumes'>,
  c: Container,
  sizes?: { rw: number; rootFs: number },
): ContainerSummary {
  const r = c.record;
  return {
    Id: r.id,
    Names: [`/${r.name}`],
    Image: r.config.Image,
    ImageID: r.image,
    Command: commandText(c),
    Created: unixSeconds(r.created),
    Ports: deps.network?.summary(c).Ports ?? [],
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: r.config.Labels ?? {},
    State: c.runtime.state.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: networkMode(c) },
    NetworkSettings: { Networks: deps.network?.summary(c).Networks ?? networksOf(c) },
    Mounts: mountsOf(deps, c),
  };
}

export function containerInspect(
  deps: Pick<ContainerDeps, 'store' | 'images' | 'layers' | 'network' | 'volumes'>,
  c: Container,
  sizes?: { rw: number; rootFs: number },
): ContainerInspect {
  const r = c.record;
  const s = c.runtime.state;
  const dir = deps.store.dir(r.id);
  const img = deps.images.get(r.image);
  const chain = img ? chainIds(img.doc.rootfs.diff_ids) : [];
  const lowers = chain.length > 0 ? deps.layers.lowerDirs(chain[chain.length - 1]) : [];
  const running = s.Status === 'running' || s.Status === 'paused' || s.Status === 'restarting';
  return {
    Id: r.id,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    State: {
      Status: s.Status,
      Running: running,
      Paused: s.Status === 'paused',
      Restarting: s.Status === 'restarting',
      OOMKilled: s.OOMKilled,
      Dead: s.Status === 'dead',
      Pid: s.Pid,
      ExitCode: s.ExitCode,
      Error: s.Error,
      StartedAt: s.StartedAt,
      FinishedAt: s.FinishedAt,
      ...(s.Health ? { Health: s.Health } : {}),
    },
    Image: r.image,
    ResolvConfPath: resolvConfPath(dir),
    HostnamePath: hostnamePath(dir),
    HostsPath: hostsPath(dir),
    // dockerd shows the log file only for json-file (other formats are not an API).
    LogPath: (r.hostConfig.LogConfig?.Type || 'json-file') === 'json-file' ? r.logPath : '',
    Name: `/${r.name}`,
    RestartCount: c.runtime.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: appArmorProfileOf(r.hostConfig.SecurityOpt),
    ExecIDs: null,
    HostConfig: hostConfigView(c),
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: lowers.join(':'),
        MergedDir: join(dir, 'merged'),
        UpperDir: join(dir, 'upper'),
        WorkDir: join(dir, 'work'),
      },
    },
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Mounts: mountsOf(deps, c),
    Config: {
      Hostname: r.config.Hostname ?? '',
      Domainname: r.config.Domainname ?? '',
      User: r.config.User ?? '',
      AttachStdin: r.config.AttachStdin ?? false,
      AttachStdout: r.config.AttachStdout ?? false,
      AttachStderr: r.config.AttachStderr ?? false,
      ...(r.config.ExposedPorts && Object.keys(r.config.ExposedPorts).length
        ? { ExposedPorts: r.config.ExposedPorts }
        : {}),
      Tty: r.config.Tty ?? false,
      OpenStdin: r.config.OpenStdin ?? false,
      StdinOnce: r.config.StdinOnce ?? false,
      Env: r.config.Env ?? [],
      Cmd: r.config.Cmd ?? null,
      Image: r.config.Image,
      Volumes: r.config.Volumes && Object.keys(r.config.Volumes).length ? r.config.Volumes : null,
      WorkingDir: r.config.WorkingDir ?? '',
      Entrypoint: r.config.Entrypoint ?? null,
      OnBuild: r.config.OnBuild ?? null,
      Labels: r.config.Labels ?? {},
      ...(r.config.StopSignal ? { StopSignal: r.config.StopSignal } : {}),
      ...(r.config.StopTimeout !== undefined && r.config.StopTimeout !== null
        ? { StopTimeout: r.config.StopTimeout }
        : {}),
      ...(r.config.Healthcheck ? { Healthcheck: r.config.Healthcheck } : {}),
    },
    NetworkSettings: deps.network?.inspect(c) ?? {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      Ports: {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
      Networks: networksOf(c),
    },
  };
}

/**
 * HostConfig as inspect shows it: what the client asked for (fields Berth does not act on
 * yet included: the create's warnings named them), with Docker's defaults for the rest and
 * the values Berth applies where the request left one empty.
 */
function hostConfigView(c: Container): HostConfig {
  const hc = c.record.hostConfig;
  return {
    Binds: hc.Binds ?? null,
    ContainerIDFile: hc.ContainerIDFile ?? '',
    LogConfig: { Type: hc.LogConfig?.Type || 'json-file', Config: hc.LogConfig?.Config ?? {} },
    NetworkMode: networkMode(c),
    PortBindings: hc.PortBindings ?? {},
    RestartPolicy: hc.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: hc.AutoRemove ?? false,
    VolumeDriver: hc.VolumeDriver ?? '',
    VolumesFrom: hc.VolumesFrom ?? null,
    ConsoleSize: hc.ConsoleSize ?? [0, 0],
    ...(hc.Annotations ? { Annotations: hc.Annotations } : {}),
    CapAdd: hc.CapAdd ?? null,
    CapDrop: hc.CapDrop ?? null,
    CgroupnsMode: hc.CgroupnsMode || 'host',
    Dns: hc.Dns ?? [],
    DnsOptions: hc.DnsOptions ?? [],
    DnsSearch: hc.DnsSearch ?? [],
    ExtraHosts: hc.ExtraHosts ?? null,
    GroupAdd: hc.GroupAdd ?? null,
    IpcMode: hc.IpcMode || 'private',
    Cgroup: hc.Cgroup ?? '',
    // Docker's form: /<target>:/<container>/<alias>.
    Links: hc.Links?.length
      ? hc.Links.map((l) => {
          const [t, a] = l.replace(/^\//, '').split(':');
          return `/${t}:/${c.record.name}/${(a ?? t).replace(/^.*\//, '')}`;
        })
      : null,
    OomScoreAdj: hc.OomScoreAdj ?? 0,
    PidMode: hc.PidMode ?? '',
    Privileged: hc.Privileged ?? false,
    PublishAllPorts: hc.PublishAllPorts ?? false,
    ReadonlyRootfs: hc.ReadonlyRootfs ?? false,
    SecurityOpt: hc.SecurityOpt ?? null,
    ...(hc.StorageOpt ? { StorageOpt: hc.StorageOpt } : {}),
    UTSMode: hc.UTSMode ?? '',
    UsernsMode: hc.UsernsMode ?? '',
    ShmSize: hc.ShmSize || 67108864,
    ...(hc.Sysctls ? { Sysctls: hc.Sysctls } : {}),
    Runtime: hc.Runtime || 'runc',
    Isolation: hc.Isolation ?? '',
    CpuShares: hc.CpuShares ?? 0,
    Memory: hc.Memory ?? 0,
    NanoCpus: hc.NanoCpus ?? 0,
    CgroupParent: hc.CgroupParent ?? '',
    BlkioWeight: hc.BlkioWeight ?? 0,
    BlkioWeightDevice: hc.BlkioWeightDevice ?? null,
    BlkioDeviceReadBps: hc.BlkioDeviceReadBps ?? null,
    BlkioDeviceWriteBps: hc.BlkioDeviceWriteBps ?? null,
    BlkioDeviceReadIOps: hc.BlkioDeviceReadIOps ?? null,
    BlkioDeviceWriteIOps: hc.BlkioDeviceWriteIOps ?? null,
    CpuPeriod: hc.CpuPeriod ?? 0,
    CpuQuota: hc.CpuQuota ?? 0,
    CpuRealtimePeriod: hc.CpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: hc.CpuRealtimeRuntime ?? 0,
    CpusetCpus: hc.CpusetCpus ?? '',
    CpusetMems: hc.CpusetMems ?? '',
    Devices: hc.Devices ?? [],
    DeviceCgroupRules: hc.DeviceCgroupRules ?? null,
    DeviceRequests: hc.DeviceRequests ?? null,
    ...(hc.KernelMemory ? { KernelMemory: hc.KernelMemory } : {}),
    ...(hc.KernelMemoryTCP ? { KernelMemoryTCP: hc.KernelMemoryTCP } : {}),
    MemoryReservation: hc.MemoryReservation ?? 0,
    MemorySwap: hc.MemorySwap ?? 0,
    MemorySwappiness: hc.MemorySwappiness ?? null,
    OomKillDisable: hc.OomKillDisable ?? null,
    PidsLimit: hc.PidsLimit ?? null,
    Ulimits: hc.Ulimits ?? [],
    CpuCount: hc.CpuCount ?? 0,
    CpuPercent: hc.CpuPercent ?? 0,
    IOMaximumIOps: hc.IOMaximumIOps ?? 0,
    IOMaximumBandwidth: hc.IOMaximumBandwidth ?? 0,
    ...(hc.Mounts?.length ? { Mounts: hc.Mounts } : {}),
    Init: hc.Init ?? null,
    Tmpfs: hc.Tmpfs ?? undefined,
    // As asked (`systempaths=unconfined` sends empty lists), else Docker's defaults.
    MaskedPaths: hc.MaskedPaths ?? [
      '/proc/asound',
      '/proc/acpi',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/proc/sched_debug',
      '/proc/scsi',
      '/sys/firmware',
      '/sys/devices/virtual/powercap',
    ],
    ReadonlyPaths: hc.ReadonlyPaths ?? ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  };
}
