// The flags `run` and `create` share, and the Config/HostConfig/NetworkingConfig
// JSON the docker CLI builds from them (cli/command/container/opts.go, v27).

import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { FlagSpec, FlagValue } from '../flags.ts';
import { parseGoDuration, ramInBytes } from '../format/units.ts';

const L = (name: string, description: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, type: 'list', description, ...extra });
const S = (name: string, description: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, type: 'string', description, ...extra });
const B = (name: string, description: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, type: 'bool', description, ...extra });
const I = (name: string, description: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, type: 'int', description, ...extra });

/** Flags common to run and create (containerOptions). */
export const containerFlags: FlagSpec[] = [
  L('add-host', 'Add a custom host-to-IP mapping (host:ip)'),
  L('annotation', 'Add an annotation to the container (passed through to the OCI runtime)', undefined, { valueName: 'map' }),
  L('attach', 'Attach to STDIN, STDOUT or STDERR', 'a'),
  I('blkio-weight', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', undefined, { valueName: 'uint16' }),
  L('cap-add', 'Add Linux capabilities'),
  L('cap-drop', 'Drop Linux capabilities'),
  S('cgroup-parent', 'Optional parent cgroup for the container'),
  S('cgroupns', 'Cgroup namespace to use (host|private)'),
  S('cidfile', 'Write the container ID to the file'),
  I('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
  I('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
  I('cpu-rt-period', 'Limit CPU real-time period in microseconds'),
  I('cpu-rt-runtime', 'Limit CPU real-time runtime in microseconds'),
  I('cpu-shares', 'CPU shares (relative weight)', 'c'),
  S('cpus', 'Number of CPUs', undefined, { valueName: 'decimal' }),
  S('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  S('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
  L('device', 'Add a host device to the container'),
  L('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list'),
  L('dns', 'Set custom DNS servers'),
  L('dns-option', 'Set DNS options'),
  L('dns-opt', 'Set DNS options', undefined, { aliasOf: 'dns-option', hidden: true }),
  L('dns-search', 'Set custom DNS search domains'),
  S('domainname', 'Container NIS domain name'),
  S('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
  L('env', 'Set environment variables', 'e'),
  L('env-file', 'Read in a file of environment variables'),
  L('expose', 'Expose a port or a range of ports'),
  L('group-add', 'Add additional groups to join'),
  S('health-cmd', 'Command to run to check health'),
  S('health-interval', 'Time between running the check (ms|s|m|h) (default 0s)', undefined, { valueName: 'duration' }),
  I('health-retries', 'Consecutive failures needed to report unhealthy'),
  S('health-start-interval', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', undefined, { valueName: 'duration' }),
  S('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', undefined, { valueName: 'duration' }),
  S('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', undefined, { valueName: 'duration' }),
  S('hostname', 'Container host name', 'h'),
  B('init', 'Run an init inside the container that forwards signals and reaps processes'),
  B('interactive', 'Keep STDIN open even if not attached', 'i'),
  S('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  S('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
  S('ipc', 'IPC mode to use'),
  S('isolation', 'Container isolation technology'),
  L('label', 'Set meta data on a container', 'l'),
  L('label-file', 'Read in a line delimited file of labels'),
  L('link', 'Add link to another container'),
  S('log-driver', 'Logging driver for the container'),
  L('log-opt', 'Log driver options'),
  S('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  S('memory', 'Memory limit', 'm', { valueName: 'bytes' }),
  S('memory-reservation', 'Memory soft limit', undefined, { valueName: 'bytes' }),
  S('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", undefined, { valueName: 'bytes' }),
  I('memory-swappiness', 'Tune container memory swappiness (0 to 100)', undefined, { default: -1 }),
  L('mount', 'Attach a filesystem mount to the container', undefined, { valueName: 'mount' }),
  S('network', 'Connect a container to a network', undefined, { valueName: 'network' }),
  S('net', 'Connect a container to a network', undefined, { aliasOf: 'network', hidden: true }),
  L('network-alias', 'Add network-scoped alias for the container'),
  L('net-alias', 'Add network-scoped alias for the container', undefined, { aliasOf: 'network-alias', hidden: true }),
  B('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
  B('oom-kill-disable', 'Disable OOM Killer'),
  I('oom-score-adj', "Tune host's OOM preferences (-1000 to 1000)"),
  S('pid', 'PID namespace to use'),
  I('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
  B('privileged', 'Give extended privileges to this container'),
  L('publish', "Publish a container's port(s) to the host", 'p'),
  B('publish-all', 'Publish all exposed ports to random ports', 'P'),
  B('read-only', "Mount the container's root filesystem as read only"),
  S('restart', 'Restart policy to apply when a container exits', undefined, { default: 'no' }),
  B('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
  S('runtime', 'Runtime to use for this container'),
  L('security-opt', 'Security Options'),
  S('shm-size', 'Size of /dev/shm', undefined, { valueName: 'bytes' }),
  S('stop-signal', 'Signal to stop the container'),
  I('stop-timeout', 'Timeout (in seconds) to stop a container'),
  L('storage-opt', 'Storage driver options for the container'),
  L('sysctl', 'Sysctl options', undefined, { valueName: 'map' }),
  L('tmpfs', 'Mount a tmpfs directory'),
  B('tty', 'Allocate a pseudo-TTY', 't'),
  L('ulimit', 'Ulimit options', undefined, { valueName: 'ulimit' }),
  S('user', 'Username or UID (format: <name|uid>[:<group|gid>])', 'u'),
  S('userns', 'User namespace to use'),
  S('uts', 'UTS namespace to use'),
  L('volume', 'Bind mount a volume', 'v'),
  S('volume-driver', 'Optional volume driver for the container'),
  L('volumes-from', 'Mount volumes from the specified container(s)'),
  S('workdir', 'Working directory inside the container', 'w'),
];

/** Flags of create (run adds detach, sig-proxy, detach-keys). */
export const createOnlyFlags: FlagSpec[] = [
  S('name', 'Assign a name to the container'),
  S('platform', 'Set platform if server is multi-platform capable'),
  S('pull', 'Pull image before creating ("always", "missing", "never")', undefined, { default: 'missing' }),
  B('quiet', 'Suppress the pull output', 'q'),
  B('disable-content-trust', 'Skip image verification', undefined, { default: true, hidden: true }),
];

type Values = Record<string, FlagValue>;
const str = (v: Values, k: string) => (v[k] as string | undefined) ?? '';
const list = (v: Values, k: string) => (v[k] as string[] | undefined) ?? [];
const num = (v: Values, k: string) => (v[k] as number | undefined) ?? 0;
const bool = (v: Values, k: string) => Boolean(v[k]);
const orNull = <T>(a: T[]): T[] | null => (a.length ? a : null);

export interface CreateSpec {
  config: Record<string, unknown>;
  hostConfig: Record<string, unknown>;
  networkingConfig: Record<string, unknown>;
}

export interface BuildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** [rows, cols] of the terminal for ConsoleSize. */
  consoleSize?: [number, number];
  readFile?: (path: string) => string;
}

/** opts.ValidateEnv: a bare name takes its value from the client's environment. */
function validateEnv(val: string, env: NodeJS.ProcessEnv): string {
  const eq = val.indexOf('=');
  const k = eq >= 0 ? val.slice(0, eq) : val;
  if (k === '') throw new Error(`invalid environment variable: ${val}`);
  if (eq >= 0) return val;
  const ev = env[k];
  return ev !== undefined ? `${k}=${ev}` : val;
}

/** kvfile.Parse (env-file / label-file). */
function parseKVFile(path: string, read: (p: string) => string, lookup?: (k: string) => string | undefined): string[] {
  let content: string;
  try {
    content = read(path);
  } catch (e) {
    throw new Error(`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  content = content.replace(/^\uFEFF/, '');
  const out: string[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^[ \t\n\r\v\f]+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line.replace(/[ \t\n\r\v\f]+$/, '');
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (/[ \t\n\r\v\f]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else if (lookup) {
      const v = lookup(key);
      if (v !== undefined) out.push(`${key}=${v}`);
    } else out.push(line);
    void i;
  });
  return out;
}

const kvMap = (items: string[]): Record<string, string> => {
  const m: Record<string, string> = {};
  for (const it of items) {
    const eq = it.indexOf('=');
    if (eq >= 0) m[it.slice(0, eq)] = it.slice(eq + 1);
    else m[it] = '';
  }
  return m;
};

function validateLabel(v: string): string {
  const key = (v.includes('=') ? v.slice(0, v.indexOf('=')) : v).replace(/^[ \t\n\r\v\f]+/, '');
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if (/[ \t\n\r\v\f]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return v;
}

/** opts.ValidateExtraHost: "host:ip" or "host=ip" → "host:ip". */
function validateExtraHost(v: string): string {
  let sep = v.indexOf('=');
  if (sep < 0) sep = v.indexOf(':');
  if (sep < 0) throw new Error(`bad format for add-host: "${v}"`);
  const name = v.slice(0, sep);
  let ip = v.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (name === '' || (ip !== 'host-gateway' && !isIP(ip))) throw new Error(`invalid IP address in add-host: "${ip}"`);
  return `${name}:${ip}`;
}

function isIP(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((p) => Number(p) <= 255);
  return /^[0-9a-fA-F:]+(%\w+)?$/.test(s) && s.includes(':');
}

/** opts.NanoCPUs */
function parseCpus(v: string): number {
  if (!/^\d*\.?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "--cpus" flag: failed to parse ${v} as a rational number`);
  const [ip, fp = ''] = v.split('.');
  if (fp.replace(/0+$/, '').length > 9) throw new Error(`invalid argument "${v}" for "--cpus" flag: value is too precise`);
  return Number(ip || '0') * 1e9 + Number((fp + '000000000').slice(0, 9));
}

function memBytes(flag: string, v: string): number {
  if (v === '') return 0;
  try {
    return ramInBytes(v);
  } catch (e) {
    throw new Error(`invalid argument "${v}" for "${flag}" flag: ${(e as Error).message}`);
  }
}

function parseUlimit(v: string): { Name: string; Hard: number; Soft: number } {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = Number(parts[0]);
  const hard = parts.length === 2 ? Number(parts[1]) : soft;
  if (!Number.isInteger(soft) || !Number.isInteger(hard)) throw new Error(`invalid ulimit argument: ${v}`);
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

/** "80", "80/udp", "8000-8010/tcp" → ["80/tcp", …] */
function expandPortRange(spec: string, flag: string): string[] {
  const [range, proto = 'tcp'] = spec.split('/') as [string, string?];
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m) throw new Error(flag === 'expose' ? `invalid range format for --expose: ${spec}, error: invalid syntax` : `invalid containerPort: ${range}`);
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : start;
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}

/** nat.ParsePortSpec: "[ip:][hostPort:]containerPort[/proto]" with ranges. */
function parsePortSpec(spec: string): { port: string; binding: { HostIp: string; HostPort: string } }[] {
  let rawIP = '';
  let hostPort = '';
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0 && !rest.slice(slash).includes(':')) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    rawIP = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const c = rest.lastIndexOf(':');
    hostPort = c >= 0 ? rest.slice(0, c) : '';
    rest = c >= 0 ? rest.slice(c + 1) : rest;
  } else {
    const parts = rest.split(':');
    if (parts.length === 3) [rawIP, hostPort, rest] = parts as [string, string, string];
    else if (parts.length === 2) [hostPort, rest] = parts as [string, string];
    else if (parts.length > 3) {
      const c = rest.lastIndexOf(':');
      const h = rest.lastIndexOf(':', c - 1);
      rawIP = rest.slice(0, h);
      hostPort = rest.slice(h + 1, c);
      rest = rest.slice(c + 1);
    }
  }
  if (rawIP && !isIP(rawIP)) throw new Error(`invalid IP address: ${rawIP}`);
  if (rest === '') throw new Error(`no port specified: ${spec}<empty>`);
  const cm = /^(\d+)(?:-(\d+))?$/.exec(rest);
  if (!cm) throw new Error(`invalid containerPort: ${rest}`);
  const cStart = Number(cm[1]);
  const cEnd = cm[2] ? Number(cm[2]) : cStart;
  let hStart = 0;
  let hEnd = 0;
  if (hostPort) {
    const hm = /^(\d+)(?:-(\d+))?$/.exec(hostPort);
    if (!hm) throw new Error(`invalid hostPort: ${hostPort}`);
    hStart = Number(hm[1]);
    hEnd = hm[2] ? Number(hm[2]) : hStart;
  }
  if (hostPort && cEnd - cStart !== hEnd - hStart && cEnd !== cStart) {
    throw new Error(`invalid ranges specified for container and host Ports: ${rest} and ${hostPort}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  const out: { port: string; binding: { HostIp: string; HostPort: string } }[] = [];
  for (let i = 0; i <= cEnd - cStart; i++) {
    let hp = hostPort ? String(hStart + i) : '';
    if (cStart === cEnd && hStart !== hEnd) hp = `${hp}-${hEnd}`;
    out.push({ port: `${cStart + i}/${proto}`, binding: { HostIp: rawIP, HostPort: hp } });
  }
  return out;
}

/** opts.MountOpt for the mount types berth supports (bind, volume, tmpfs). */
export function parseMount(value: string, cwd: string): Record<string, unknown> {
  const m: Record<string, unknown> = { Type: 'volume' };
  const bindOpts: Record<string, unknown> = {};
  const tmpfsOpts: Record<string, unknown> = {};
  const volOpts: Record<string, unknown> = {};
  let ro = false;
  for (const field of splitCSV(value)) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : '';
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') ro = true;
      else if (key === 'volume-nocopy') volOpts.NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOpts.NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type': m.Type = val.toLowerCase(); break;
      case 'source': case 'src': m.Source = val.startsWith('./') || val === '.' ? resolvePath(cwd, val) : val; break;
      case 'target': case 'dst': case 'destination': m.Target = val; break;
      case 'readonly': case 'ro':
        if (!['true', 'false', '1', '0'].includes(val)) throw new Error(`invalid value for ${key}: ${val}`);
        ro = val === 'true' || val === '1';
        break;
      case 'consistency': m.Consistency = val.toLowerCase(); break;
      case 'bind-propagation': bindOpts.Propagation = val.toLowerCase(); break;
      case 'bind-recursive':
        if (val === 'disabled') bindOpts.NonRecursive = true;
        else if (val === 'writable') bindOpts.ReadOnlyNonRecursive = true;
        else if (val === 'readonly') bindOpts.ReadOnlyForceRecursive = true;
        else if (val !== 'enabled') throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case 'tmpfs-size': tmpfsOpts.SizeBytes = ramInBytes(val); break;
      case 'tmpfs-mode': tmpfsOpts.Mode = parseInt(val, 8); break;
      case 'volume-nocopy': volOpts.NoCopy = val === 'true' || val === '1'; break;
      case 'volume-subpath': volOpts.Subpath = val; break;
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (ro) m.ReadOnly = true;
  if (!m.Target) throw new Error('target is required');
  if (m.Type === 'bind' && Object.keys(bindOpts).length) m.BindOptions = bindOpts;
  if (m.Type === 'tmpfs' && Object.keys(tmpfsOpts).length) m.TmpfsOptions = tmpfsOpts;
  if (m.Type === 'volume' && Object.keys(volOpts).length) m.VolumeOptions = volOpts;
  if (m.Type === 'bind' && !m.Source) throw new Error('source is required when specifying bind mount');
  return m;
}

function splitCSV(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      if (q && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else q = !q;
    } else if (c === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** volumespec: does "-v" carry a source (bind or named volume)? */
function splitVolume(spec: string): { source: string; target: string; mode: string } {
  const parts = spec.split(':');
  if (parts.length === 1) return { source: '', target: parts[0]!, mode: '' };
  if (parts.length === 2) {
    // "/ctr:ro" is a target with a mode, "src:/ctr" has a source
    if (/^(ro|rw|z|Z|shared|slave|private|rshared|rslave|rprivate|nocopy|consistent|cached|delegated)(,.*)?$/.test(parts[1]!) && parts[0]!.startsWith('/') && !parts[1]!.startsWith('/')) {
      return { source: '', target: parts[0]!, mode: parts[1]! };
    }
    return { source: parts[0]!, target: parts[1]!, mode: '' };
  }
  if (parts.length === 3) return { source: parts[0]!, target: parts[1]!, mode: parts[2]! };
  throw new Error(`invalid spec: ${spec}: too many colons`);
}

function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

/** parseLinuxDevice */
function parseDevice(d: string): Record<string, string> {
  const arr = d.split(':');
  if (arr.length > 3) throw new Error(`invalid device specification: ${d}`);
  const validMode = (m: string) => /^[rwm]{1,3}$/.test(m) && new Set(m).size === m.length;
  let src = arr[0]!;
  let dst = '';
  let perm = 'rwm';
  if (arr.length === 3) {
    if (!validMode(arr[2]!)) throw new Error(`bad mode specified: ${arr[2]}`);
    dst = arr[1]!;
    perm = arr[2]!;
  } else if (arr.length === 2) {
    if (validMode(arr[1]!)) perm = arr[1]!;
    else dst = arr[1]!;
  }
  if (!dst) dst = src;
  src = src || d;
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perm };
}

function durationNs(flag: string, v: string): number {
  if (v === '') return 0;
  const ms = parseGoDuration(v);
  if (ms === undefined) throw new Error(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  return Math.round(ms * 1e6);
}

/** parse(): flags + IMAGE [COMMAND…] → the create request's three parts. */
export function buildCreateSpec(v: Values, changed: ReadonlySet<string>, image: string, cmd: string[], o: BuildOptions = {}): CreateSpec {
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
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

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

  const restart = str(v, 'restart');
  let restartPolicy: { Name: string; MaximumRetryCount: number } = { Name: '', MaximumRetryCount: 0 };
  if (restart !== '') {
    const c = restart.indexOf(':');
    const name = c >= 0 ? restart.slice(0, c) : restart;
    const count = c >= 0 ? restart.slice(c + 1) : '';
    if (c >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
    let n = 0;
    if (count !== '') {
      if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
      n = Number(count);
    }
    restartPolicy = { Name: name, MaximumRetryCount: n };
  }

  const logDriver = str(v, 'log-driver');
  const logOpts = list(v, 'log-opt');
  if (logDriver === 'none' && logOpts.length) throw new Error(`invalid logging opts for driver ${logDriver}`);

  const securityOpt = list(v, 'security-opt');
  for (const s of securityOpt) {
    let sep = s.indexOf('=');
    if (sep < 0 && s !== 'no-new-privileges') sep = s.indexOf(':');
    if ((sep < 0 || s.slice(sep + 1) === '') && s !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(s)}`);
  }
  let maskedPaths: string[] | null = null;
  let readonlyPaths: string[] | null = null;
  const secFiltered = securityOpt.filter((s) => {
    if (s === 'systempaths=unconfined') {
      maskedPaths = [];
      readonlyPaths = [];
      return false;
    }
    return true;
  });

  const storageOpt: Record<string, string> = {};
  for (const s of list(v, 'storage-opt')) {
    const eq = s.indexOf('=');
    if (eq < 0) throw new Error('invalid storage option');
    storageOpt[s.slice(0, eq)] = s.slice(eq + 1);
  }

  // healthcheck
  let healthcheck: Record<string, unknown> | undefined;
  const hc = {
    cmd: str(v, 'health-cmd'),
    interval: durationNs('health-interval', str(v, 'health-interval')),
    timeout: durationNs('health-timeout', str(v, 'health-timeout')),
    startPeriod: durationNs('health-start-period', str(v, 'health-start-period')),
    startInterval: durationNs('health-start-interval', str(v, 'health-start-interval')),
    retries: num(v, 'health-retries'),
  };
  const haveHealth = hc.cmd !== '' || hc.interval !== 0 || hc.timeout !== 0 || hc.startPeriod !== 0 || hc.retries !== 0 || hc.startInterval !== 0;
  if (bool(v, 'no-healthcheck')) {
    if (haveHealth) throw new Error('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    for (const [k, n] of [['interval', hc.interval], ['timeout', hc.timeout], ['retries', hc.retries], ['start-period', hc.startPeriod], ['start-interval', hc.startInterval]] as const) {
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
  const config: Record<string, unknown> = {
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
  const hostConfig: Record<string, unknown> = {
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
  const userDefined = !['default', 'bridge', 'host', 'none'].includes(networkMode) && !networkMode.startsWith('container:');
  if (aliases.length && !userDefined) throw new Error('network-scoped aliases are only supported for user-defined networks');
  const endpoint = (): Record<string, unknown> => ({
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
  const endpoints: Record<string, unknown> = {};
  if (!changed.has('network')) endpoints.default = endpoint();
  else if (aliases.length || ip || ip6 || str(v, 'mac-address') || (userDefined && list(v, 'link').length)) endpoints[networkMode] = endpoint();

  return { config, hostConfig, networkingConfig: { EndpointsConfig: endpoints } };
}

/** The create request body: Config fields at the top level plus HostConfig and NetworkingConfig. */
export function createBody(spec: CreateSpec): Record<string, unknown> {
  return { ...spec.config, HostConfig: spec.hostConfig, NetworkingConfig: spec.networkingConfig };
}

/** Docker's "validatePullOpt". */
export function validatePull(v: string): void {
  if (!['always', 'missing', 'never', ''].includes(v)) {
    throw new Error(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
  }
}
