// Validation of create requests, with Docker's messages. Pure functions.
import { invalidArgument, notFound } from '../../common/errors.ts';
import { isObject } from '../../common/json.ts';
import { parseSignal } from '../../common/signals.ts';
import { parseLogOpts, validateLogOpts } from '../../logs/options.ts';
import type { HostConfig, RestartPolicy } from '../../containers/types.ts';
import type { RunConfig } from '../../oci/image-spec.ts';

const STRING_ARRAY_FIELDS = ['Env', 'Cmd', 'Entrypoint', 'OnBuild', 'Shell'] as const;

/** Type checks on the client's Config: wrong types are 400s, not crashes later. */
export function checkConfigTypes(cfg: Record<string, unknown>): void {
  for (const f of STRING_ARRAY_FIELDS) {
    const v = cfg[f];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && (f === 'Cmd' || f === 'Entrypoint')) continue; // Docker accepts a string too
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      throw invalidArgument(`json: cannot unmarshal ${typeof v} into Go struct field Config.${f} of type []string`);
    }
  }
  for (const f of ['Image', 'User', 'WorkingDir', 'Hostname', 'Domainname', 'StopSignal'] as const) {
    const v = cfg[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw invalidArgument(`json: cannot unmarshal ${typeof v} into Go struct field Config.${f} of type string`);
    }
  }
  for (const f of ['Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr'] as const) {
    const v = cfg[f];
    if (v !== undefined && v !== null && typeof v !== 'boolean') {
      throw invalidArgument(`json: cannot unmarshal ${typeof v} into Go struct field Config.${f} of type bool`);
    }
  }
  if (
    cfg.Labels !== undefined &&
    cfg.Labels !== null &&
    (!isObject(cfg.Labels) || !Object.values(cfg.Labels).every((x) => typeof x === 'string'))
  ) {
    throw invalidArgument('json: cannot unmarshal into Go struct field Config.Labels of type map[string]string');
  }
  if (cfg.StopTimeout !== undefined && cfg.StopTimeout !== null && !Number.isInteger(cfg.StopTimeout)) {
    throw invalidArgument('json: cannot unmarshal into Go struct field Config.StopTimeout of type int');
  }
  if (cfg.Env)
    for (const e of cfg.Env as string[])
      if (e.startsWith('=')) throw invalidArgument(`invalid environment variable: ${e}`);
  if (typeof cfg.StopSignal === 'string' && cfg.StopSignal !== '') parseSignal(cfg.StopSignal); // Docker: "Invalid signal: X"
  checkFieldTypes('Config', cfg, { ExposedPorts: 'nat.PortSet', Volumes: 'map[string]struct {}' });
}

/** The JSON type name Go's decoder puts in its messages. */
function jsonType(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
}

const matchesGoType = (v: unknown, t: string): boolean => {
  switch (t) {
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'int64':
    case 'int':
      return Number.isInteger(v);
    case '[]string':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'map[string]string':
      return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
    case '[]*container.Ulimit':
      return Array.isArray(v);
    default:
      return isObject(v); // structs and maps of structs
  }
};

/** Go's "json: cannot unmarshal X into Go struct field S.F of type T" for fields present with the wrong type. */
function checkFieldTypes(struct: string, obj: Record<string, unknown>, fields: Record<string, string>): void {
  for (const [f, t] of Object.entries(fields)) {
    const v = obj[f];
    if (v === undefined || v === null || matchesGoType(v, t)) continue;
    throw invalidArgument(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${struct}.${f} of type ${t}`);
  }
}

const HOST_CONFIG_TYPES: Record<string, string> = {
  Binds: '[]string',
  NetworkMode: 'string',
  PortBindings: 'nat.PortMap',
  RestartPolicy: 'container.RestartPolicy',
  AutoRemove: 'bool',
  LogConfig: 'container.LogConfig',
  ReadonlyRootfs: 'bool',
  Init: 'bool',
  Privileged: 'bool',
  PublishAllPorts: 'bool',
  CapAdd: '[]string',
  CapDrop: '[]string',
  ShmSize: 'int64',
  Sysctls: 'map[string]string',
  OomScoreAdj: 'int',
  SecurityOpt: '[]string',
  Tmpfs: 'map[string]string',
  ExtraHosts: '[]string',
  Dns: '[]string',
  DnsOptions: '[]string',
  DnsSearch: '[]string',
  GroupAdd: '[]string',
  Memory: 'int64',
  MemorySwap: 'int64',
  MemoryReservation: 'int64',
  NanoCpus: 'int64',
  CpuShares: 'int64',
  CpuPeriod: 'int64',
  CpuQuota: 'int64',
  PidsLimit: 'int64',
  OomKillDisable: 'bool',
  PidMode: 'string',
  IpcMode: 'string',
  UTSMode: 'string',
  CgroupParent: 'string',
  Runtime: 'string',
  Ulimits: '[]*container.Ulimit',
};

/** Wrong JSON types in HostConfig are 400s in Go's words, never truthy strings taken as true. */
export function checkHostConfigTypes(hc: Record<string, unknown>): void {
  checkFieldTypes('HostConfig', hc, HOST_CONFIG_TYPES);
}

export function normalizeRestartPolicy(p: unknown): RestartPolicy {
  if (p === undefined || p === null) return { Name: 'no', MaximumRetryCount: 0 };
  if (!isObject(p)) throw invalidArgument('invalid restart policy');
  const name = (p.Name ?? '') as string;
  const max = (p.MaximumRetryCount ?? 0) as number;
  if (!['', 'no', 'always', 'on-failure', 'unless-stopped'].includes(name)) {
    throw invalidArgument(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  if (!Number.isInteger(max) || max < 0)
    throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  if (max > 0 && name !== 'on-failure') {
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  return { Name: (name || 'no') as RestartPolicy['Name'], MaximumRetryCount: max };
}

export interface BindSpec {
  source: string;
  destination: string;
  readonly: boolean;
}

/** `/host:/ctr[:ro|rw][,…]` — Berth supports host-path binds here; named volumes come later. */
export function parseBind(spec: string): BindSpec {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw invalidArgument(`invalid volume specification: '${spec}'`);
  }
  const [source, destination, mode = ''] = parts;
  if (!destination.startsWith('/'))
    throw invalidArgument(
      `invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${destination}' mount path must be absolute`,
    );
  if (!source.startsWith('/'))
    throw invalidArgument(
      `invalid volume specification: '${spec}': named volumes are not supported by this engine yet`,
    );
  const modes = mode === '' ? [] : mode.split(',');
  for (const m of modes) {
    if (!['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(m)) {
      throw invalidArgument(`invalid mode: ${m}`);
    }
  }
  if (destination === '/') throw invalidArgument(`invalid specification: destination can't be '/' in '${spec}'`);
  return { source, destination, readonly: modes.includes('ro') };
}

export function validateHostConfig(hc: HostConfig, supportedNetworkModes: (mode: string) => boolean): HostConfig {
  checkHostConfigTypes(hc);
  const out: HostConfig = { ...hc };
  out.RestartPolicy = normalizeRestartPolicy(hc.RestartPolicy);
  if (out.AutoRemove && out.RestartPolicy.Name !== 'no') {
    throw invalidArgument(`can't create 'AutoRemove' container with restart policy`);
  }
  if (hc.Binds !== undefined && hc.Binds !== null) {
    if (!Array.isArray(hc.Binds) || !hc.Binds.every((b) => typeof b === 'string'))
      throw invalidArgument('invalid Binds: expected an array of strings');
    const seen = new Set<string>();
    for (const b of hc.Binds) {
      const d = parseBind(b).destination;
      if (seen.has(d)) throw invalidArgument(`Duplicate mount point: ${d}`);
      seen.add(d);
    }
  }
  const mode = hc.NetworkMode || 'default';
  if (!supportedNetworkModes(mode)) throw notFound(`network ${mode} not found`);
  const lc = hc.LogConfig;
  if (lc?.Type && !['json-file', 'none'].includes(lc.Type)) {
    throw invalidArgument(
      `failed to create task for container: failed to initialize logging driver: logger: no log driver named '${lc.Type}' is registered`,
    );
  }
  if (lc && (lc.Type || 'json-file') === 'json-file' && lc.Config) {
    validateLogOpts(lc.Config);
    parseLogOpts(lc.Config);
  }
  if (hc.ShmSize !== undefined && (typeof hc.ShmSize !== 'number' || hc.ShmSize < 0)) {
    throw invalidArgument('SHM size can not be less than 0');
  }
  return out;
}

/** Docker's merge of the image config under the container's. */
export function mergeImageConfig(user: RunConfig & { Image: string }, image: RunConfig): RunConfig & { Image: string } {
  const out: RunConfig & { Image: string } = { ...user };
  const asArray = (v: unknown) => (typeof v === 'string' ? [v] : (v as string[] | undefined));
  out.Cmd = asArray(user.Cmd) ?? undefined;
  out.Entrypoint = asArray(user.Entrypoint) ?? undefined;
  if (!out.User && image.User) out.User = image.User;
  const imgEnv = image.Env ?? [];
  const userEnv = user.Env ?? [];
  const keys = new Set(userEnv.map((e) => e.split('=')[0]));
  out.Env = [...imgEnv.filter((e) => !keys.has(e.split('=')[0])), ...userEnv];
  out.Labels = { ...(image.Labels ?? {}), ...(user.Labels ?? {}) };
  out.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  out.Volumes = { ...(image.Volumes ?? {}), ...(user.Volumes ?? {}) };
  if (!out.WorkingDir) out.WorkingDir = image.WorkingDir ?? '';
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  if (!out.Healthcheck && image.Healthcheck) out.Healthcheck = image.Healthcheck;
  if (!out.OnBuild && image.OnBuild) out.OnBuild = image.OnBuild;
  if (!out.Shell && image.Shell) out.Shell = image.Shell;
  // An explicit Entrypoint drops the image's Cmd unless a Cmd was given too.
  if (out.Entrypoint === undefined || out.Entrypoint === null) {
    out.Entrypoint = image.Entrypoint;
    if (!out.Cmd || out.Cmd.length === 0) out.Cmd = image.Cmd;
  } else if (out.Entrypoint.length === 0 || (out.Entrypoint.length === 1 && out.Entrypoint[0] === '')) {
    out.Entrypoint = undefined; // --entrypoint "" clears it
    if (!out.Cmd || out.Cmd.length === 0) out.Cmd = image.Cmd;
  }
  return out;
}
