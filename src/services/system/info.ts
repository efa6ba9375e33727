// /version and /info in Docker's shapes, filled as dockerd fills them.
import { LOG_DRIVERS } from '../../logs/drivers.ts';
import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { API_VERSION, MIN_API_VERSION } from '../../common/api-version.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { ImageStore } from '../../images/store.ts';
import type { SystemInfo, SystemVersion } from '../../api/types/system.ts';

export const ENGINE_VERSION = '0.1.0';

export interface ComponentVersions {
  runc: { version: string; commit: string };
  /** containerd-shim-runc-v2, the part of containerd Berth runs. */
  containerd: { version: string; commit: string };
  init: { version: string; commit: string };
}

/** What `info` shows of the registry configuration. */
export interface RegistryView {
  insecure: string[];
  mirrors: string[];
}

export interface SystemDeps {
  containers: ContainerStore;
  images: ImageStore;
  engineId: string;
  dataRoot: string;
  runtimePath: string;
  logDriver: string;
  /** Objects quarantined at start-up and other conditions the operator should see. */
  warnings: () => string[];
  debug: () => boolean;
  labels: () => string[];
  registry: () => RegistryView;
  runtimes: () => Record<string, { path: string; runtimeArgs?: string[] }>;
  defaultRuntime: () => string;
  authorizationPlugins: () => string[];
  components: ComponentVersions;
  /** Clients following /events now. */
  eventListeners: () => number;
  /** daemon.json `seccomp-profile` ('' for Berth's default). */
  seccompProfile?: string;
  noNewPrivileges?: boolean;
  /** userns-remap is on. */
  userns?: boolean;
}

/** dockerd's SecurityOptions: the seccomp profile in use, no-new-privileges, userns (remapping on), cgroupns on v2. */
function securityOptions(d: SystemDeps): string[] {
  const p = d.seccompProfile ?? '';
  const out = [`name=seccomp,profile=${p === '' ? 'builtin' : p}`];
  if (d.noNewPrivileges) out.push('name=no-new-privileges');
  if (d.userns) out.push('name=userns');
  if (cgroupVersion() === '2') out.push('name=cgroupns');
  return out;
}

function osRelease(): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const l of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(l);
      if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
    }
    return out;
  } catch {
    return {};
  }
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

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

const goArch = () => (({ x64: 'amd64', arm64: 'arm64' }) as Record<string, string>)[arch()] ?? arch();

export function versionInfo(c?: ComponentVersions): SystemVersion {
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
  const components: { Name: string; Version: string; Details: Record<string, string> }[] = [
    { Name: 'Engine', Version: ENGINE_VERSION, Details: { ...details, Experimental: 'false' } },
  ];
  if (c) {
    components.push(
      { Name: 'containerd', Version: c.containerd.version, Details: { GitCommit: c.containerd.commit } },
      { Name: 'runc', Version: c.runc.version, Details: { GitCommit: c.runc.commit } },
      { Name: 'docker-init', Version: c.init.version, Details: { GitCommit: c.init.commit } },
    );
  }
  return {
    Platform: { Name: 'Berth Engine' },
    Components: components,
    Version: ENGINE_VERSION,
    ...details,
  };
}

/** IndexConfigs as dockerd's registry service reports them. */
function registryConfig(r: RegistryView) {
  const cidrs = ['::1/128', '127.0.0.0/8', ...r.insecure.filter((e) => e.includes('/'))];
  const index: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }> = {
    'docker.io': { Name: 'docker.io', Mirrors: r.mirrors, Secure: true, Official: true },
  };
  for (const e of r.insecure.filter((x) => !x.includes('/')))
    index[e] = { Name: e, Mirrors: [], Secure: false, Official: false };
  return { IndexConfigs: index, InsecureRegistryCIDRs: cidrs, Mirrors: r.mirrors };
}

export function systemInfo(d: SystemDeps): SystemInfo {
  const all = d.containers.list();
  const count = (s: string[]) => all.filter((c) => s.includes(c.runtime.state.Status)).length;
  const os = osRelease();
  const runtimes: Record<string, { path: string; runtimeArgs?: string[] }> = { runc: { path: d.runtimePath } };
  for (const [name, r] of Object.entries(d.runtimes()))
    runtimes[name] = { path: r.path, ...(r.runtimeArgs?.length ? { runtimeArgs: r.runtimeArgs } : {}) };
  const authz = d.authorizationPlugins();
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
      Network: ['bridge', 'host', 'null'],
      Authorization: authz.length ? authz : null,
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
    Debug: d.debug(),
    NFd: openFds(),
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: d.logDriver,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(),
    NEventsListener: d.eventListeners(),
    KernelVersion: release(),
    OperatingSystem: os.PRETTY_NAME || 'Linux',
    OSVersion: os.VERSION_ID ?? '',
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: registryConfig(d.registry()),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    GenericResources: null,
    DockerRootDir: d.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: hostname(),
    Labels: d.labels(),
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: runtimes,
    DefaultRuntime: d.defaultRuntime(),
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
    ContainerdCommit: { ID: d.components.containerd.commit },
    RuncCommit: { ID: d.components.runc.commit },
    InitCommit: { ID: d.components.init.commit },
    SecurityOptions: securityOptions(d),
    CDISpecDirs: [],
    Warnings: d.warnings(),
  };
}
