// /version and /info in Docker's shapes.
import { LOG_DRIVERS } from '../../logs/drivers.ts';
import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { API_VERSION, MIN_API_VERSION } from '../../common/api-version.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { ImageStore } from '../../images/store.ts';
import type { SystemInfo, SystemVersion } from '../../api/types/system.ts';

export const ENGINE_VERSION = '0.1.0';

export interface SystemDeps {
  containers: ContainerStore;
  images: ImageStore;
  engineId: string;
  dataRoot: string;
  runtimePath: string;
  logDriver: string;
  /** Objects quarantined at start-up and other conditions the operator should see. */
  warnings: () => string[];
  debug: boolean;
  /** daemon.json `seccomp-profile` ('' for Berth's default). */
  seccompProfile?: string;
  noNewPrivileges?: boolean;
}

/** dockerd's SecurityOptions: the seccomp profile in use, no-new-privileges, cgroupns on v2. */
function securityOptions(d: SystemDeps): string[] {
  const p = d.seccompProfile ?? '';
  const out = [`name=seccomp,profile=${p === '' ? 'builtin' : p}`];
  if (d.noNewPrivileges) out.push('name=no-new-privileges');
  if (cgroupVersion() === '2') out.push('name=cgroupns');
  return out;
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1];
  } catch {
    /* fall through */
  }
  return 'Linux';
}

function cgroupVersion(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup rw') &&
      !readFileSync('/proc/self/cgroup', 'utf8').includes(':memory:')
      ? '2'
      : '1';
  } catch {
    return '1';
  }
}

const goArch = () => (({ x64: 'amd64', arm64: 'arm64' }) as Record<string, string>)[arch()] ?? arch();

export function versionInfo(): SystemVersion {
  const details = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: 'berth',
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: '',
  };
  return {
    Platform: { Name: 'Berth Engine' },
    Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: details }],
    Version: ENGINE_VERSION,
    ...details,
  };
}

export function systemInfo(d: SystemDeps): SystemInfo {
  const all = d.containers.list();
  const count = (s: string[]) => all.filter((c) => s.includes(c.runtime.state.Status)).length;
  return {
    ID: d.engineId,
    Containers: all.length,
    ContainersRunning: count(['running', 'restarting']),
    ContainersPaused: count(['paused']),
    ContainersStopped: count(['exited', 'created', 'dead', 'removing']),
    Images: d.images.list().length,
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'extfs'],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
    ],
    Plugins: {
      Volume: ['local'],
      Network: ['host', 'null'],
      Authorization: null,
      Log: LOG_DRIVERS.filter((d) => d !== 'none').sort(),
    },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: d.debug,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: d.logDriver,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(),
    NEventsListener: 0,
    KernelVersion: release(),
    OperatingSystem: osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
    NCPU: cpus().length,
    MemTotal: totalmem(),
    GenericResources: null,
    DockerRootDir: d.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: { runc: { path: d.runtimePath } },
    DefaultRuntime: 'runc',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: securityOptions(d),
    CDISpecDirs: [],
    Warnings: d.warnings(),
  };
}
