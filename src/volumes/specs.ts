// Mount specifications, as Docker reads them (daemon/volume/mounts): `-v` strings
// (HostConfig.Binds), API Mount objects (HostConfig.Mounts), `--volumes-from` entries and
// tmpfs options — parsed and validated into mount points, with Docker's messages. Pure:
// the only host question (does a bind source exist?) is asked through a callback.
import { posix } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import type { HostConfigMount } from '../api/types/mounts.ts';

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'image';
export type Propagation = 'rprivate' | 'private' | 'rshared' | 'shared' | 'rslave' | 'slave';
const PROPAGATIONS = new Set<string>(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);

/** The API's Mount object (HostConfig.Mounts[]). */
export type ApiMount = HostConfigMount;

/** A parsed mount point (the container record keeps these; see containers/types.ts). */
export interface ParsedMount {
  Type: MountType;
  /** Volume name ('' for an anonymous volume, before it is made). */
  Name: string;
  /** Bind: the host path. Volume: filled in once the volume exists. Image: the reference, its ID once resolved. Tmpfs: ''. */
  Source: string;
  Destination: string;
  Driver: string;
  /** The `-v` mode string as given ("ro,z", …); '' for Mounts. */
  Mode: string;
  RW: boolean;
  /** Binds only ('' otherwise), default rprivate. */
  Propagation: string;
  /** The mount as given (Binds are turned into one): it says named from anonymous, and the options. */
  Spec: ApiMount;
  /** Copy the image's content into an empty volume (Docker's copy-up); false with nocopy. */
  CopyData: boolean;
  /** A Mounts bind without CreateMountpoint: a missing source is an error, never created. */
  SkipMountpointCreation: boolean;
}

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);

/** Docker's linuxValidMountMode: each kind of mode at most once. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATIONS.has(o)) counts.prop++;
    else if (o === 'nocopy') counts.copy++;
    else if (CONSISTENCY.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

const hasPropagation = (mode: string) => mode.split(',').some((o) => PROPAGATIONS.has(o));
const propagationOf = (mode: string) => mode.split(',').find((o) => PROPAGATIONS.has(o)) ?? 'rprivate';
const readWrite = (mode: string) => validMountMode(mode) && !mode.split(',').includes('ro');

const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;

/** Go's path.Clean for slash paths. */
export const cleanPath = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');

/**
 * HostConfig.Binds entry: `source:dest[:mode]`, `dest` alone (anonymous volume). A source
 * that is an absolute path is a bind, anything else a named volume. `volumeDriver` is
 * HostConfig.VolumeDriver.
 */
export function parseBindSpec(raw: string, volumeDriver = ''): ParsedMount {
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw invalidArgument(invalidSpec(raw));
  const spec: ApiMount = {};
  let mode = '';
  switch (arr.length) {
    case 1:
      spec.Target = arr[0];
      break;
    case 2:
      if (validMountMode(arr[1])) throw invalidArgument(invalidSpec(raw));
      spec.Source = arr[0];
      spec.Target = arr[1];
      break;
    case 3:
      spec.Source = arr[0];
      spec.Target = arr[1];
      mode = arr[2];
      break;
    default:
      throw invalidArgument(invalidSpec(raw));
  }
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  spec.Type = spec.Source?.startsWith('/') ? 'bind' : 'volume';
  spec.ReadOnly = !readWrite(mode);
  if (volumeDriver !== '' && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (mode.split(',').includes('nocopy')) spec.VolumeOptions = { ...(spec.VolumeOptions ?? {}), NoCopy: true };
  if (hasPropagation(mode)) spec.BindOptions = { Propagation: propagationOf(mode) };
  try {
    const mp = parseMount(spec, { validateBindSource: false });
    mp.Mode = mode;
    return mp;
  } catch (err) {
    throw invalidArgument(`${invalidSpec(raw)}: ${(err as Error).message}`);
  }
}

/** HostConfig.Mounts entry, validated as Docker's ParseMountSpec (bind sources must exist). */
export function parseMountSpec(m: ApiMount, bindSourceExists: (path: string) => boolean): ParsedMount {
  return parseMount(m, { validateBindSource: true, bindSourceExists });
}

function parseMount(
  m: ApiMount,
  o: { validateBindSource: boolean; bindSourceExists?: (path: string) => boolean },
): ParsedMount {
  validateMountConfig(m, o);
  const mp: ParsedMount = {
    Type: m.Type as MountType,
    Name: '',
    Source: '',
    Destination: cleanPath(m.Target!),
    Driver: '',
    Mode: '',
    RW: !m.ReadOnly,
    Propagation: '',
    Spec: m,
    CopyData: false,
    SkipMountpointCreation: false,
  };
  if (m.Type === 'volume') {
    mp.Name = m.Source ?? '';
    mp.CopyData = !m.VolumeOptions?.NoCopy;
    mp.Driver = m.VolumeOptions?.DriverConfig?.Name ?? '';
  } else if (m.Type === 'bind') {
    mp.Source = cleanPath(m.Source!);
    mp.Propagation = m.BindOptions?.Propagation || 'rprivate';
  } else if (m.Type === 'image') {
    // Docker's image mounts are read-only whatever ReadOnly says: the image never changes.
    mp.Source = m.Source!;
    mp.RW = false;
  }
  return mp;
}

const CONSISTENCIES = new Set(['default', 'consistent', 'cached', 'delegated']);

function validateMountConfig(
  m: ApiMount,
  o: { validateBindSource: boolean; bindSourceExists?: (path: string) => boolean },
): void {
  const fail = (msg: string): never => {
    throw invalidArgument(`invalid mount config for type ${JSON.stringify(m.Type ?? '')}: ${msg}`);
  };
  checkMountTypes(m, fail);
  // Linux mounts are always fully consistent, which every known mode allows; anything else
  // is a mode we do not know and would silently drop.
  if (m.Consistency && !CONSISTENCIES.has(m.Consistency))
    fail(`invalid consistency mode: ${m.Consistency} (one of default, consistent, cached, delegated)`);
  if (m.Type !== 'bind' && m.BindOptions) fail('field BindOptions must not be specified');
  if (m.Type !== 'volume' && m.VolumeOptions) fail('field VolumeOptions must not be specified');
  if (m.Type !== 'tmpfs' && m.TmpfsOptions) fail('field TmpfsOptions must not be specified');
  if (m.Type !== 'image' && m.ImageOptions) fail('field ImageOptions must not be specified');
  if (m.ClusterOptions) fail('field ClusterOptions must not be specified');
  if (!m.Target) fail('field Target must not be empty');
  const target = m.Target!;
  if (cleanPath(target) === '/') fail("invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) fail(`invalid mount path: '${target}' mount path must be absolute`);
  if (target.includes('\0')) fail('invalid mount path: it contains a NUL byte');
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) fail('field Source must not be empty');
      const p = m.BindOptions?.Propagation;
      if (p && !PROPAGATIONS.has(p)) fail(`invalid propagation mode: ${p}`);
      if (!m.Source!.startsWith('/')) fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
      if (m.Source!.includes('\0')) fail('invalid mount path: it contains a NUL byte');
      const b = m.BindOptions ?? {};
      if (!m.ReadOnly && b.ReadOnlyNonRecursive)
        fail('mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive');
      if (!m.ReadOnly && b.ReadOnlyForceRecursive)
        fail('mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive');
      if (b.ReadOnlyNonRecursive && b.ReadOnlyForceRecursive)
        fail('mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive');
      if (o.validateBindSource && !b.CreateMountpoint && !o.bindSourceExists!(m.Source!))
        fail(`bind source path does not exist: ${m.Source}`);
      break;
    }
    case 'volume': {
      const sub = m.VolumeOptions?.Subpath;
      if (sub) {
        if (!m.Source) fail('must not set Subpath when using anonymous volumes');
        if (!isLocalPath(sub)) fail('subpath must be a relative path within the volume');
      }
      if (m.Source?.includes('\0')) fail('invalid volume name: it contains a NUL byte');
      break;
    }
    case 'tmpfs':
      if (m.Source) fail('field Source must not be specified');
      tmpfsData(m.TmpfsOptions ?? null, Boolean(m.ReadOnly));
      break;
    case 'image': {
      if (!m.Source) fail('field Source must not be empty');
      const sub = m.ImageOptions?.Subpath;
      if (sub && !isLocalPath(sub)) fail('subpath must be a relative path within the image');
      break;
    }
    case 'npipe':
    case 'cluster':
      throw invalidArgument(`mounts of type ${JSON.stringify(m.Type)} are not supported by this engine`);
    default:
      fail('mount type unknown');
  }
}

/** Wrong JSON types in a Mount are 400s, never coerced. */
function checkMountTypes(m: ApiMount, fail: (msg: string) => never): void {
  const str = (v: unknown, f: string) => {
    if (v !== undefined && v !== null && typeof v !== 'string') fail(`field ${f} must be a string`);
  };
  const bool = (v: unknown, f: string) => {
    if (v !== undefined && v !== null && typeof v !== 'boolean') fail(`field ${f} must be a boolean`);
  };
  const obj = (v: unknown, f: string) => {
    if (v !== undefined && v !== null && !isObject(v)) fail(`field ${f} must be an object`);
  };
  str(m.Type, 'Type');
  str(m.Source, 'Source');
  str(m.Target, 'Target');
  str(m.Consistency, 'Consistency');
  bool(m.ReadOnly, 'ReadOnly');
  obj(m.BindOptions, 'BindOptions');
  obj(m.VolumeOptions, 'VolumeOptions');
  obj(m.TmpfsOptions, 'TmpfsOptions');
  obj(m.ImageOptions, 'ImageOptions');
  if (m.ImageOptions) str(m.ImageOptions.Subpath, 'ImageOptions.Subpath');
  if (m.BindOptions) {
    str(m.BindOptions.Propagation, 'BindOptions.Propagation');
    for (const f of ['NonRecursive', 'CreateMountpoint', 'ReadOnlyNonRecursive', 'ReadOnlyForceRecursive'] as const)
      bool(m.BindOptions[f], `BindOptions.${f}`);
  }
  if (m.VolumeOptions) {
    bool(m.VolumeOptions.NoCopy, 'VolumeOptions.NoCopy');
    str(m.VolumeOptions.Subpath, 'VolumeOptions.Subpath');
    const labels = m.VolumeOptions.Labels;
    if (
      labels !== undefined &&
      labels !== null &&
      (!isObject(labels) || !Object.values(labels).every((v) => typeof v === 'string'))
    )
      fail('field VolumeOptions.Labels must be a map of strings');
    obj(m.VolumeOptions.DriverConfig, 'VolumeOptions.DriverConfig');
    const dc = m.VolumeOptions.DriverConfig;
    if (dc) {
      str(dc.Name, 'VolumeOptions.DriverConfig.Name');
      if (
        dc.Options !== undefined &&
        dc.Options !== null &&
        (!isObject(dc.Options) || !Object.values(dc.Options).every((v) => typeof v === 'string'))
      )
        fail('field VolumeOptions.DriverConfig.Options must be a map of strings');
    }
  }
  if (m.TmpfsOptions) {
    const t = m.TmpfsOptions;
    if (t.SizeBytes !== undefined && t.SizeBytes !== null && (!Number.isSafeInteger(t.SizeBytes) || t.SizeBytes < 0))
      fail('field TmpfsOptions.SizeBytes must be a non-negative integer');
    if (t.Mode !== undefined && t.Mode !== null && (!Number.isInteger(t.Mode) || t.Mode < 0 || t.Mode > 0o7777))
      fail('field TmpfsOptions.Mode must be a file mode (0 to 07777)');
    if (
      t.Options !== undefined &&
      t.Options !== null &&
      (!Array.isArray(t.Options) || !t.Options.every((o) => Array.isArray(o) && o.every((x) => typeof x === 'string')))
    )
      fail('field TmpfsOptions.Options must be a list of [name] or [name, value] lists');
  }
}

/** Go's filepath.IsLocal: relative, not empty, never climbing above its start. */
export function isLocalPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0')) return false;
  const n = posix.normalize(p);
  return n !== '..' && !n.startsWith('../');
}

/** `--volumes-from container[:mode]`: mode is ro or rw (nothing else from a -v mode). */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (spec === '') throw invalidArgument('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const container = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { container, mode: 'rw' };
  if (!validMountMode(mode) || hasPropagation(mode) || mode.split(',').includes('nocopy'))
    throw invalidArgument(`invalid mode: ${mode}`);
  return { container, mode };
}

export const volumesFromReadWrite = readWrite;

/** A tmpfs destination (HostConfig.Tmpfs key). */
export function validateTmpfsDestination(dest: string): void {
  if (cleanPath(dest) === '/') throw invalidArgument("invalid specification: destination can't be '/'");
  if (!dest.startsWith('/')) throw invalidArgument(`invalid mount path: '${dest}' mount path must be absolute`);
}

/** Docker's ConvertTmpfsOptions: a Mount's TmpfsOptions as a tmpfs option string. */
export function tmpfsData(t: ApiMount['TmpfsOptions'], readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (t?.Mode) raw.push(`mode=${t.Mode.toString(8)}`);
  if (t?.SizeBytes) {
    let size = t.SizeBytes;
    let suffix = '';
    for (const [s, d] of [
      ['g', 1 << 30],
      ['m', 1 << 20],
      ['k', 1 << 10],
    ] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const o of t?.Options ?? []) {
    if (o.length < 1 || o.length > 2) throw invalidArgument('invalid option array length');
    if (o[0] !== 'exec' && o[0] !== 'noexec') throw invalidArgument(`invalid option: ${o[0]}`);
    raw.push(o.length === 1 ? o[0] : `${o[0]}=${o[1]}`);
  }
  return raw.join(',');
}

// tmpfs flag words and the data keys tmpfs takes (moby's MergeTmpfsOptions table).
const TMPFS_FLAGS: Record<string, string> = {
  ro: 'rdonly',
  rw: 'rdonly',
  suid: 'nosuid',
  nosuid: 'nosuid',
  dev: 'nodev',
  nodev: 'nodev',
  exec: 'noexec',
  noexec: 'noexec',
  sync: 'sync',
  async: 'sync',
  dirsync: 'dirsync',
  atime: 'noatime',
  noatime: 'noatime',
  diratime: 'nodiratime',
  nodiratime: 'nodiratime',
  relatime: 'relatime',
  norelatime: 'relatime',
  strictatime: 'strictatime',
  nostrictatime: 'strictatime',
  private: 'propagation',
  rprivate: 'propagation',
  shared: 'propagation',
  rshared: 'propagation',
  slave: 'propagation',
  rslave: 'propagation',
};
const TMPFS_DATA: Record<string, RegExp> = {
  size: /^\d+[kmgKMG%]?$/,
  mode: /^[0-7]{1,4}$/,
  uid: /^\d+$/,
  gid: /^\d+$/,
  nr_inodes: /^\d+[kmgKMG]?$/,
  nr_blocks: /^\d+[kmgKMG]?$/,
  huge: /^(never|always|within_size|advise)$/,
  mpol: /^(default|prefer|bind|interleave|local)(:[0-9,-]+)?$/,
};

/**
 * The OCI options of a container tmpfs: Docker's defaults (noexec, nosuid, nodev, rprivate)
 * merged with the user's `data`, a later word winning over an earlier one of its kind.
 * Only tmpfs's own keys are taken; `dev` and `suid` — a device node or a setuid binary on
 * a writable mount — only for a privileged container.
 */
export function tmpfsMountOptions(data: string, privileged: boolean): string[] {
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data === '' ? [] : data.split(','))];
  const flagSeen = new Set<string>();
  const dataSeen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i];
    if (o === 'defaults' || o === '') continue;
    const kind = TMPFS_FLAGS[o];
    if (kind) {
      if ((o === 'dev' || o === 'suid') && !privileged)
        throw invalidArgument(`invalid tmpfs option "${o}": only a privileged container may have ${o} on a tmpfs`);
      if (!flagSeen.has(kind)) {
        out.unshift(o);
        flagSeen.add(kind);
      }
      continue;
    }
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const re = TMPFS_DATA[key];
    if (eq < 0 || !re) throw invalidArgument(`invalid tmpfs option ${JSON.stringify(o)}`);
    if (!re.test(o.slice(eq + 1))) throw invalidArgument(`invalid tmpfs option ${JSON.stringify(o)}: bad value`);
    if (!dataSeen.has(key)) {
      out.unshift(o);
      dataSeen.add(key);
    }
  }
  return out;
}

/**
 * The OCI options of a bind (of a host path or a volume's data): rbind unless
 * NonRecursive; read-only recursively (rro) unless ReadOnlyNonRecursive or the client is
 * older than API 1.44 — Docker's rules; the propagation when one is set.
 */
export function bindMountOptions(mp: {
  RW: boolean;
  Propagation: string;
  Spec: ApiMount;
  recursiveReadOnly: boolean;
}): string[] {
  const b = mp.Spec.BindOptions ?? {};
  const opts = [b.NonRecursive ? 'bind' : 'rbind'];
  if (!mp.RW) {
    const rro = b.ReadOnlyForceRecursive || (mp.recursiveReadOnly && !b.ReadOnlyNonRecursive && !b.NonRecursive);
    opts.push(rro ? 'rro' : 'ro');
  }
  if (mp.Propagation) opts.push(mp.Propagation);
  return opts;
}

/** Parents before children: mounts sorted by the depth of their destination (stable). */
export function byDepth<T extends { destination: string }>(mounts: T[]): T[] {
  const depth = (d: string) => cleanPath(d).split('/').length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
}

/** strings.SplitN */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  out.push(rest);
  return out;
}
