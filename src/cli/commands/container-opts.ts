// The flags `run` and `create` share, and the Config/HostConfig/NetworkingConfig
// JSON the docker CLI builds from them (cli/command/container/opts.go, v27).

import type { FlagValue } from '../flags.ts';

import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import {
  validateEnv,
  parseKVFile,
  validateLabel,
  validateExtraHost,
  parseCpus,
  memBytes,
  parseRestartPolicy,
  parseUlimit,
  expandPortRange,
  parsePortSpec,
  parseMount,
  splitVolume,
  validateAttach,
  parseDevice,
  durationNs,
  kvMap,
} from './container-values.ts';
import type {
  ContainerConfig,
  ContainerCreateBody,
  EndpointSettings,
  HealthConfig,
  HostConfig,
  NetworkingConfig,
} from '../../client/index.ts';

type Values = Record<string, FlagValue>;
const str = (v: Values, k: string) => (v[k] as string | undefined) ?? '';
const list = (v: Values, k: string) => (v[k] as string[] | undefined) ?? [];
const num = (v: Values, k: string) => (v[k] as number | undefined) ?? 0;
const bool = (v: Values, k: string) => Boolean(v[k]);
const orNull = <T>(a: T[]): T[] | null => (a.length ? a : null);

export interface CreateSpec {
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig: NetworkingConfig;
}

export interface BuildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** [rows, cols] of the terminal for ConsoleSize. */
  consoleSize?: [number, number];
  readFile?: (path: string) => string;
}

/** parse(): flags + IMAGE [COMMAND…] → the create request's three parts. */
/** `seccomp=<file>`: the docker CLI sends the profile itself, compacted; unconfined and builtin as they are. */
function seccompFileOpt(opt: string): string {
  const m = /^seccomp[=:](.*)$/.exec(opt);
  if (!m || m[1] === 'unconfined' || m[1] === 'builtin') return opt;
  let text: string;
  try {
    text = readFileSync(m[1], 'utf8');
  } catch (e) {
    throw new Error(`opening seccomp profile (${m[1]}) failed: ${(e as Error).message}`);
  }
  try {
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  } catch (e) {
    throw new Error(`compacting json for seccomp profile (${m[1]}) failed: ${(e as Error).message}`);
  }
}

export function buildCreateSpec(
  v: Values,
  changed: ReadonlySet<string>,
  image: string,
  cmd: string[],
  o: BuildOptions = {},
): CreateSpec {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const read = o.readFile ?? ((p: string) => readFileSync(p, 'utf8'));

  const attach = list(v, 'attach').map(validateAttach);
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (bool(v, 'interactive')) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }

  const swappiness = num(v, 'memory-swappiness');
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100))
    throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

  // -v: sources become Binds, bare container paths become Config.Volumes
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of list(v, 'volume')) {
    const p = splitVolume(spec);
    if (p.target === '') throw new Error(`invalid spec: ${spec}: empty section between colons`);
    if (p.source) {
      let host = p.source;
      if (host === '.' || host.startsWith('./')) host = resolvePath(cwd, host);
      binds.push([host, p.target, ...(p.mode ? [p.mode] : [])].join(':'));
    } else volumes[p.target] = {};
  }

  const tmpfs: Record<string, string> = {};
  for (const t of list(v, 'tmpfs')) {
    const c = t.indexOf(':');
    if (c >= 0) tmpfs[t.slice(0, c)] = t.slice(c + 1);
    else tmpfs[t] = '';
  }

  const entrypoint = str(v, 'entrypoint') !== '' ? [str(v, 'entrypoint')] : changed.has('entrypoint') ? [''] : null;

  // ports
  const exposed: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (let spec of list(v, 'publish')) {
    if (spec.includes('=')) {
      const params: Record<string, string> = { protocol: 'tcp' };
      for (const kv of spec.split(',')) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${kv}')`);
        params[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      spec = `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
    }
    for (const { port, binding } of parsePortSpec(spec)) {
      exposed[port] = {};
      (portBindings[port] ??= []).push(binding);
    }
  }
  for (const e of list(v, 'expose')) for (const p of expandPortRange(e, 'expose')) exposed[p] = {};

  const devices = list(v, 'device').map(parseDevice);

  // env: --env-file first, then -e (which overrides)
  const envVars: string[] = [];
  for (const f of list(v, 'env-file')) {
    try {
      envVars.push(...parseKVFile(f, read, (k) => env[k]));
    } catch (e) {
      throw new Error(`--env-file: ${(e as Error).message}`);
    }
  }
  for (const e of list(v, 'env')) envVars.push(validateEnv(e, env));

  const labels: string[] = [];
  for (const f of list(v, 'label-file')) {
    try {
      labels.push(...parseKVFile(f, read));
    } catch (e) {
      throw new Error(`--label-file: ${(e as Error).message}`);
    }
  }
  for (const l of list(v, 'label')) labels.push(validateLabel(l));

  const restartPolicy = parseRestartPolicy(str(v, 'restart'));

  const logDriver = str(v, 'log-driver');
  const logOpts = list(v, 'log-opt');
  if (logDriver === 'none' && logOpts.length) throw new Error(`invalid logging opts for driver ${logDriver}`);

  const securityOpt = list(v, 'security-opt');
  for (const s of securityOpt) {
    let sep = s.indexOf('=');
    if (sep < 0 && s !== 'no-new-privileges') sep = s.indexOf(':');
    if ((sep < 0 || s.slice(sep + 1) === '') && s !== 'no-new-privileges')
      throw new Error(`Invalid --security-opt: ${JSON.stringify(s)}`);
  }
  let maskedPaths: string[] | null = null;
  let readonlyPaths: string[] | null = null;
  const secFiltered = securityOpt
    .filter((s) => {
      if (s === 'systempaths=unconfined') {
        maskedPaths = [];
        readonlyPaths = [];
        return false;
      }
      return true;
    })
    .map(seccompFileOpt);

  const storageOpt: Record<string, string> = {};
  for (const s of list(v, 'storage-opt')) {
    const eq = s.indexOf('=');
    if (eq < 0) throw new Error('invalid storage option');
    storageOpt[s.slice(0, eq)] = s.slice(eq + 1);
  }

  // healthcheck
  let healthcheck: HealthConfig | undefined;
  const hc = {
    cmd: str(v, 'health-cmd'),
    interval: durationNs('health-interval', str(v, 'health-interval')),
    timeout: durationNs('health-timeout', str(v, 'health-timeout')),
    startPeriod: durationNs('health-start-period', str(v, 'health-start-period')),
    startInterval: durationNs('health-start-interval', str(v, 'health-start-interval')),
    retries: num(v, 'health-retries'),
  };
  const haveHealth =
    hc.cmd !== '' ||
    hc.interval !== 0 ||
    hc.timeout !== 0 ||
    hc.startPeriod !== 0 ||
    hc.retries !== 0 ||
    hc.startInterval !== 0;
  if (bool(v, 'no-healthcheck')) {
    if (haveHealth) throw new Error('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    for (const [k, n] of [
      ['interval', hc.interval],
      ['timeout', hc.timeout],
      ['retries', hc.retries],
      ['start-period', hc.startPeriod],
      ['start-interval', hc.startInterval],
    ] as const) {
      if (n < 0) throw new Error(`--health-${k} cannot be negative`);
    }
    healthcheck = { Test: hc.cmd ? ['CMD-SHELL', hc.cmd] : null };
    if (hc.interval) healthcheck.Interval = hc.interval;
    if (hc.timeout) healthcheck.Timeout = hc.timeout;
    if (hc.startPeriod) healthcheck.StartPeriod = hc.startPeriod;
    if (hc.startInterval) healthcheck.StartInterval = hc.startInterval;
    if (hc.retries) healthcheck.Retries = hc.retries;
  }

  const sysctls = kvMap(list(v, 'sysctl'));
  const annotations = kvMap(list(v, 'annotation'));
  const mounts = list(v, 'mount').map((m) => parseMount(m, cwd));

  let memorySwap = 0;
  const ms = str(v, 'memory-swap');
  if (ms === '-1') memorySwap = -1;
  else memorySwap = memBytes('--memory-swap', ms);

  const openStdin = bool(v, 'interactive');
  const config: ContainerConfig = {
    Hostname: str(v, 'hostname'),
    Domainname: str(v, 'domainname'),
    User: str(v, 'user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
  };
  if (Object.keys(exposed).length) config.ExposedPorts = exposed;
  Object.assign(config, {
    Tty: bool(v, 'tty'),
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: orNull(envVars),
    Cmd: cmd.length ? cmd : null,
  });
  if (healthcheck) config.Healthcheck = healthcheck;
  Object.assign(config, {
    Image: image,
    Volumes: volumes,
    WorkingDir: str(v, 'workdir'),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: kvMap(labels),
  });
  if (str(v, 'stop-signal')) config.StopSignal = str(v, 'stop-signal');
  if (changed.has('stop-timeout')) config.StopTimeout = num(v, 'stop-timeout');

  const networkMode = str(v, 'network') || 'default';
  const hostConfig: HostConfig = {
    Binds: orNull(binds),
    ContainerIDFile: str(v, 'cidfile'),
    LogConfig: { Type: logDriver, Config: kvMap(logOpts) },
    NetworkMode: networkMode,
    PortBindings: portBindings,
    RestartPolicy: restartPolicy,
    AutoRemove: bool(v, 'rm'),
    VolumeDriver: str(v, 'volume-driver'),
    VolumesFrom: orNull(list(v, 'volumes-from')),
    ConsoleSize: o.consoleSize ?? [0, 0],
  };
  if (Object.keys(annotations).length) hostConfig.Annotations = annotations;
  Object.assign(hostConfig, {
    CapAdd: orNull(list(v, 'cap-add')),
    CapDrop: orNull(list(v, 'cap-drop')),
    CgroupnsMode: str(v, 'cgroupns'),
    Dns: list(v, 'dns'),
    DnsOptions: list(v, 'dns-option'),
    DnsSearch: list(v, 'dns-search'),
    ExtraHosts: orNull(list(v, 'add-host').map(validateExtraHost)),
    GroupAdd: orNull(list(v, 'group-add')),
    IpcMode: str(v, 'ipc'),
    Cgroup: '',
    Links: orNull(list(v, 'link')),
    OomScoreAdj: num(v, 'oom-score-adj'),
    PidMode: str(v, 'pid'),
    Privileged: bool(v, 'privileged'),
    PublishAllPorts: bool(v, 'publish-all'),
    ReadonlyRootfs: bool(v, 'read-only'),
    SecurityOpt: orNull(secFiltered),
  });
  if (Object.keys(storageOpt).length) hostConfig.StorageOpt = storageOpt;
  if (Object.keys(tmpfs).length) hostConfig.Tmpfs = tmpfs;
  Object.assign(hostConfig, {
    UTSMode: str(v, 'uts'),
    UsernsMode: str(v, 'userns'),
    ShmSize: memBytes('--shm-size', str(v, 'shm-size')),
  });
  if (Object.keys(sysctls).length) hostConfig.Sysctls = sysctls;
  if (str(v, 'runtime')) hostConfig.Runtime = str(v, 'runtime');
  Object.assign(hostConfig, {
    Isolation: str(v, 'isolation'),
    CpuShares: num(v, 'cpu-shares'),
    Memory: memBytes('-m, --memory', str(v, 'memory')),
    NanoCpus: str(v, 'cpus') ? parseCpus(str(v, 'cpus')) : 0,
    CgroupParent: str(v, 'cgroup-parent'),
    BlkioWeight: num(v, 'blkio-weight'),
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: num(v, 'cpu-period'),
    CpuQuota: num(v, 'cpu-quota'),
    CpuRealtimePeriod: num(v, 'cpu-rt-period'),
    CpuRealtimeRuntime: num(v, 'cpu-rt-runtime'),
    CpusetCpus: str(v, 'cpuset-cpus'),
    CpusetMems: str(v, 'cpuset-mems'),
    Devices: devices,
    DeviceCgroupRules: orNull(list(v, 'device-cgroup-rule')),
    DeviceRequests: null,
    MemoryReservation: memBytes('--memory-reservation', str(v, 'memory-reservation')),
    MemorySwap: memorySwap,
    MemorySwappiness: swappiness,
    OomKillDisable: bool(v, 'oom-kill-disable'),
    PidsLimit: num(v, 'pids-limit'),
    Ulimits: orNull(list(v, 'ulimit').map(parseUlimit)),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
  });
  if (mounts.length) hostConfig.Mounts = mounts;
  hostConfig.MaskedPaths = maskedPaths;
  hostConfig.ReadonlyPaths = readonlyPaths;
  if (changed.has('init')) hostConfig.Init = bool(v, 'init');

  if (bool(v, 'rm') && restartPolicy.Name !== '' && restartPolicy.Name !== 'no') {
    throw new Error('Conflicting options: --restart and --rm');
  }

  // networking: the default network gets an (empty) endpoint; a single explicit
  // network without per-endpoint options gets none.
  const aliases = list(v, 'network-alias');
  const ip = str(v, 'ip');
  const ip6 = str(v, 'ip6');
  const userDefined =
    !['default', 'bridge', 'host', 'none'].includes(networkMode) && !networkMode.startsWith('container:');
  if (aliases.length && !userDefined)
    throw new Error('network-scoped aliases are only supported for user-defined networks');
  const endpoint = (): EndpointSettings => ({
    IPAMConfig: ip || ip6 ? { IPv4Address: ip, IPv6Address: ip6 } : null,
    Links: userDefined && list(v, 'link').length ? list(v, 'link') : null,
    Aliases: aliases.length ? aliases : null,
    MacAddress: str(v, 'mac-address'),
    DriverOpts: null,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  });
  const endpoints: Record<string, EndpointSettings> = {};
  if (!changed.has('network')) endpoints.default = endpoint();
  else if (aliases.length || ip || ip6 || str(v, 'mac-address') || (userDefined && list(v, 'link').length))
    endpoints[networkMode] = endpoint();

  return { config, hostConfig, networkingConfig: { EndpointsConfig: endpoints } };
}

/** The create request body: Config fields at the top level plus HostConfig and NetworkingConfig. */
export function createBody(spec: CreateSpec): ContainerCreateBody {
  return { ...spec.config, HostConfig: spec.hostConfig, NetworkingConfig: spec.networkingConfig };
}

/** Docker's "validatePullOpt". */
export function validatePull(v: string): void {
  if (!['always', 'missing', 'never', ''].includes(v)) {
    throw new Error(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
  }
}
