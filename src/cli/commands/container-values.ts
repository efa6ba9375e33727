// Parsers and validators for the values of `run`/`create` flags (env files, labels,
// hosts, ports, mounts, volumes, devices, ulimits, durations), with the docker CLI's messages.
import { resolve as resolvePath } from 'node:path';
import { parseGoDuration, ramInBytes } from '../format/units.ts';

/** opts.ValidateEnv: a bare name takes its value from the client's environment. */
export function validateEnv(val: string, env: NodeJS.ProcessEnv): string {
  const eq = val.indexOf('=');
  const k = eq >= 0 ? val.slice(0, eq) : val;
  if (k === '') throw new Error(`invalid environment variable: ${val}`);
  if (eq >= 0) return val;
  const ev = env[k];
  return ev !== undefined ? `${k}=${ev}` : val;
}

/** kvfile.Parse (env-file / label-file). */
export function parseKVFile(
  path: string,
  read: (p: string) => string,
  lookup?: (k: string) => string | undefined,
): string[] {
  let content: string;
  try {
    content = read(path);
  } catch (e) {
    throw new Error(
      `open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
    );
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

export const kvMap = (items: string[]): Record<string, string> => {
  const m: Record<string, string> = {};
  for (const it of items) {
    const eq = it.indexOf('=');
    if (eq >= 0) m[it.slice(0, eq)] = it.slice(eq + 1);
    else m[it] = '';
  }
  return m;
};

export function validateLabel(v: string): string {
  const key = (v.includes('=') ? v.slice(0, v.indexOf('=')) : v).replace(/^[ \t\n\r\v\f]+/, '');
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if (/[ \t\n\r\v\f]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return v;
}

/** opts.ValidateExtraHost: "host:ip" or "host=ip" → "host:ip". */
export function validateExtraHost(v: string): string {
  let sep = v.indexOf('=');
  if (sep < 0) sep = v.indexOf(':');
  if (sep < 0) throw new Error(`bad format for add-host: "${v}"`);
  const name = v.slice(0, sep);
  let ip = v.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (name === '' || (ip !== 'host-gateway' && !isIP(ip))) throw new Error(`invalid IP address in add-host: "${ip}"`);
  return `${name}:${ip}`;
}

export function isIP(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((p) => Number(p) <= 255);
  return /^[0-9a-fA-F:]+(%\w+)?$/.test(s) && s.includes(':');
}

/** opts.NanoCPUs */
export function parseCpus(v: string): number {
  if (!/^\d*\.?\d+$/.test(v))
    throw new Error(`invalid argument "${v}" for "--cpus" flag: failed to parse ${v} as a rational number`);
  const [ip, fp = ''] = v.split('.');
  if (fp.replace(/0+$/, '').length > 9)
    throw new Error(`invalid argument "${v}" for "--cpus" flag: value is too precise`);
  return Number(ip || '0') * 1e9 + Number((fp + '000000000').slice(0, 9));
}

export function memBytes(flag: string, v: string): number {
  if (v === '') return 0;
  try {
    return ramInBytes(v);
  } catch (e) {
    throw new Error(`invalid argument "${v}" for "${flag}" flag: ${(e as Error).message}`);
  }
}

export function parseUlimit(v: string): { Name: string; Hard: number; Soft: number } {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2)
    throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = Number(parts[0]);
  const hard = parts.length === 2 ? Number(parts[1]) : soft;
  if (!Number.isInteger(soft) || !Number.isInteger(hard)) throw new Error(`invalid ulimit argument: ${v}`);
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

/** "80", "80/udp", "8000-8010/tcp" → ["80/tcp", …] */
export function expandPortRange(spec: string, flag: string): string[] {
  const [range, proto = 'tcp'] = spec.split('/') as [string, string?];
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m)
    throw new Error(
      flag === 'expose'
        ? `invalid range format for --expose: ${spec}, error: invalid syntax`
        : `invalid containerPort: ${range}`,
    );
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : start;
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}

/** nat.ParsePortSpec: "[ip:][hostPort:]containerPort[/proto]" with ranges. */
export function parsePortSpec(spec: string): { port: string; binding: { HostIp: string; HostPort: string } }[] {
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

/** docker's opts.MountOpt (`--mount`): the API's Mount object, checked as the docker CLI does. */
export function parseMount(value: string, cwd: string): Record<string, unknown> {
  value = value.trim();
  if (value === '') throw new Error('value is empty');
  const m: Record<string, unknown> = { Type: 'volume' };
  const sub = (k: string) => ((m[k] as Record<string, unknown> | undefined) ?? (m[k] = {})) as Record<string, unknown>;
  const driver = () => (sub('VolumeOptions').DriverConfig ??= {}) as Record<string, unknown>;
  const setOnMap = (target: Record<string, unknown>, key: string, kv: string) => {
    const i = kv.indexOf('=');
    const k = i < 0 ? kv : kv.slice(0, i);
    if (k === '') return;
    ((target[key] ??= {}) as Record<string, string>)[k] = i < 0 ? '' : kv.slice(i + 1);
  };
  const bool = (key: string, val: string, has: boolean) => {
    if (!has) return true;
    if (val === '1' || val === 'true') return true;
    if (val === '0' || val === 'false') return false;
    throw new Error(
      `invalid value for '${key}': invalid boolean value (${JSON.stringify(val)}): must be one of "true", "1", "false", or "0" (default "true")`,
    );
  };
  for (const field of splitCSV(value)) {
    const eq = field.indexOf('=');
    const has = eq >= 0;
    const rawKey = has ? field.slice(0, eq) : field;
    const val = has ? field.slice(eq + 1) : '';
    if (rawKey.trim() !== rawKey)
      throw new Error(`invalid option '${rawKey.trim()}' in '${field}': option should not have whitespace`);
    if (has) {
      if (val.trim() === '') throw new Error(`invalid value for '${rawKey}': value is empty`);
      if (val.trim() !== val)
        throw new Error(`invalid value for '${rawKey}' in '${field}': value should not have whitespace`);
    }
    const key = rawKey.toLowerCase();
    if (!has && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'].includes(key))
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    switch (key) {
      case 'type':
        m.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        m.Source = !val.startsWith('/') && val.startsWith('.') ? resolvePath(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = bool(key, val, has);
        break;
      case 'consistency':
        m.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        sub('BindOptions').Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        throw new Error('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      case 'bind-recursive':
        if (val === 'disabled') sub('BindOptions').NonRecursive = true;
        else if (val === 'writable') sub('BindOptions').ReadOnlyNonRecursive = true;
        else if (val === 'readonly') sub('BindOptions').ReadOnlyForceRecursive = true;
        else if (val !== 'enabled')
          throw new Error(
            `invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`,
          );
        break;
      case 'bind-create-src':
        sub('BindOptions').CreateMountpoint = bool(key, val, has);
        break;
      case 'volume-subpath':
        sub('VolumeOptions').Subpath = val;
        break;
      case 'volume-nocopy':
        sub('VolumeOptions').NoCopy = bool(key, val, has);
        break;
      case 'volume-label':
        setOnMap(sub('VolumeOptions'), 'Labels', val);
        break;
      case 'volume-driver':
        driver().Name = val;
        break;
      case 'volume-opt':
        setOnMap(driver(), 'Options', val);
        break;
      case 'image-subpath':
        sub('ImageOptions').Subpath = val;
        break;
      case 'tmpfs-size': {
        let size: number;
        try {
          size = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        sub('TmpfsOptions').SizeBytes = size;
        break;
      }
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        sub('TmpfsOptions').Mode = parseInt(val, 8);
        break;
      default:
        throw new Error(`unknown option '${key}' in '${field}'`);
    }
  }
  const type = m.Type as string;
  if (!type) throw new Error('type is required');
  for (const [k, t, name] of [
    ['BindOptions', 'bind', 'bind'],
    ['VolumeOptions', 'volume', 'volume'],
    ['ImageOptions', 'image', 'image'],
    ['TmpfsOptions', 'tmpfs', 'tmpfs'],
  ] as const) {
    if (type !== t && m[k]) throw new Error(`cannot mix '${name}-*' options with mount type '${type}'`);
  }
  const b = m.BindOptions as Record<string, unknown> | undefined;
  if (b?.ReadOnlyNonRecursive && !m.ReadOnly)
    throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (b?.ReadOnlyForceRecursive) {
    if (!m.ReadOnly)
      throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (b.Propagation !== 'rprivate')
      throw new Error(
        "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
      );
  }
  return m;
}

export function splitCSV(s: string): string[] {
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
export function splitVolume(spec: string): { source: string; target: string; mode: string } {
  const parts = spec.split(':');
  if (parts.length === 1) return { source: '', target: parts[0]!, mode: '' };
  if (parts.length === 2) {
    // "/ctr:ro" is a target with a mode, "src:/ctr" has a source
    if (
      /^(ro|rw|z|Z|shared|slave|private|rshared|rslave|rprivate|nocopy|consistent|cached|delegated)(,.*)?$/.test(
        parts[1]!,
      ) &&
      parts[0]!.startsWith('/') &&
      !parts[1]!.startsWith('/')
    ) {
      return { source: '', target: parts[0]!, mode: parts[1]! };
    }
    return { source: parts[0]!, target: parts[1]!, mode: '' };
  }
  if (parts.length === 3) return { source: parts[0]!, target: parts[1]!, mode: parts[2]! };
  throw new Error(`invalid spec: ${spec}: too many colons`);
}

export function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

/** parseLinuxDevice */
export function parseDevice(d: string): Record<string, string> {
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

export function durationNs(flag: string, v: string): number {
  if (v === '') return 0;
  const ms = parseGoDuration(v);
  if (ms === undefined) throw new Error(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  return Math.round(ms * 1e6);
}

/** `--restart no|always|unless-stopped|on-failure[:N]` as the docker CLI reads it. */
export function parseRestartPolicy(restart: string): { Name: string; MaximumRetryCount: number } {
  if (restart === '') return { Name: '', MaximumRetryCount: 0 };
  const c = restart.indexOf(':');
  const name = c >= 0 ? restart.slice(0, c) : restart;
  const count = c >= 0 ? restart.slice(c + 1) : '';
  if (c >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let n = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count))
      throw new Error('invalid restart policy format: maximum retry count must be an integer');
    n = Number(count);
  }
  return { Name: name, MaximumRetryCount: n };
}
