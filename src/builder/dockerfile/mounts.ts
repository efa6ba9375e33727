// RUN --mount=<csv> as BuildKit reads it: `type` (default bind), target/dst/destination,
// source/src, from, id, sharing, mode, uid, gid, ro/readonly, rw/readwrite, required,
// size, env. Pure; the parser checks the raw text, the executor parses it again after
// build-arg expansion. Every error is a DockerfileError on the RUN's line.
import { posix } from 'node:path';
import { DockerfileError } from './lines.ts';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret';
export type Sharing = 'shared' | 'private' | 'locked';

export interface MountSpec {
  type: MountType;
  /** Absolute, cleaned. */
  target: string;
  source?: string;
  from?: string;
  /** cache: default the target; secret: default the target's base name. */
  id?: string;
  readonly: boolean;
  sharing: Sharing;
  mode?: number;
  uid?: number;
  gid?: number;
  required: boolean;
  /** tmpfs size in bytes. */
  size?: number;
}

const KEYS = new Set([
  'type',
  'target',
  'dst',
  'destination',
  'source',
  'src',
  'from',
  'id',
  'sharing',
  'mode',
  'uid',
  'gid',
  'ro',
  'readonly',
  'rw',
  'readwrite',
  'required',
  'size',
  'env',
]);
const BOOL_KEYS = new Set(['ro', 'readonly', 'rw', 'readwrite', 'required']);

/** Splits a CSV field list (double quotes group, as Go's encoding/csv). */
function csv(text: string, line: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      if (quoted && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new DockerfileError(line, `invalid mount ${JSON.stringify(text)}: unterminated quote`);
  out.push(cur);
  return out;
}

function bool(key: string, v: string | undefined, line: number): boolean {
  if (v === undefined || v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new DockerfileError(line, `invalid value for ${key}: ${v}`);
}

function int(key: string, v: string, line: number, radix = 10): number {
  const ok = radix === 8 ? /^0?[0-7]{1,4}$/.test(v) : /^\d{1,10}$/.test(v);
  if (!ok) throw new DockerfileError(line, `invalid value for ${key}: ${v}`);
  return parseInt(v, radix);
}

/** `64m`, `1g`, `1024` (bytes); units as docker's --tmpfs size. */
function bytes(v: string, line: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v);
  if (!m) throw new DockerfileError(line, `invalid value for size: ${v}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[
    m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
  ];
  return Math.floor(Number(m[1]) * mult);
}

const cleanTarget = (t: string, workdir: string) => posix.resolve(workdir, t);

/** Parses one --mount value. `workdir` resolves relative targets. */
export function parseMount(text: string, line: number, workdir = '/'): MountSpec {
  const fields = new Map<string, string | undefined>();
  for (const f of csv(text, line)) {
    if (f === '') continue;
    const i = f.indexOf('=');
    const key = (i < 0 ? f : f.slice(0, i)).toLowerCase();
    const value = i < 0 ? undefined : f.slice(i + 1);
    if (!KEYS.has(key)) throw new DockerfileError(line, `unexpected key '${key}' in '${f}'`);
    if (value === undefined && !BOOL_KEYS.has(key))
      throw new DockerfileError(line, `invalid field '${f}' must be a key=value pair`);
    fields.set(key, value);
  }
  const get = (...keys: string[]) => {
    for (const k of keys) if (fields.has(k)) return fields.get(k);
    return undefined;
  };
  const type = (get('type') ?? 'bind').toLowerCase();
  if (type === 'ssh') throw new DockerfileError(line, 'RUN --mount=type=ssh is not supported by this builder');
  if (!['bind', 'cache', 'tmpfs', 'secret'].includes(type))
    throw new DockerfileError(line, `unsupported mount type "${type}"`);
  const rawTarget = get('target', 'dst', 'destination');
  const id = get('id');
  let target: string;
  if (rawTarget) target = cleanTarget(rawTarget, workdir);
  else if (type === 'secret' && id) target = posix.join('/run/secrets', id);
  else if (type === 'secret') throw new DockerfileError(line, 'secret mount needs an id or a target');
  else throw new DockerfileError(line, `mount type=${type} needs a target (target=/path)`);
  if (target === '/') throw new DockerfileError(line, `mount target can not be /`);
  if (target.includes(':'))
    throw new DockerfileError(
      line,
      `mount target ${JSON.stringify(target)}: ':' is not allowed in a mount target here`,
    );
  let readonly = type === 'bind';
  if (fields.has('ro') || fields.has('readonly')) readonly = bool('readonly', get('ro', 'readonly'), line);
  if (fields.has('rw') || fields.has('readwrite')) readonly = !bool('readwrite', get('rw', 'readwrite'), line);
  const sharing = (get('sharing') ?? 'shared') as Sharing;
  if (!['shared', 'private', 'locked'].includes(sharing))
    throw new DockerfileError(line, `unsupported sharing value "${sharing}"`);
  const spec: MountSpec = {
    type: type as MountType,
    target,
    readonly,
    sharing,
    required: bool('required', get('required'), line) && fields.has('required'),
  };
  const source = get('source', 'src');
  if (source !== undefined) spec.source = source;
  const from = get('from');
  if (from !== undefined) spec.from = from;
  if (type === 'cache') spec.id = id || target;
  else if (type === 'secret') spec.id = id || posix.basename(target);
  else if (id !== undefined) throw new DockerfileError(line, `id is not valid for mount type=${type}`);
  const mode = get('mode');
  if (mode !== undefined) spec.mode = int('mode', mode, line, 8);
  const uid = get('uid');
  if (uid !== undefined) spec.uid = int('uid', uid, line);
  const gid = get('gid');
  if (gid !== undefined) spec.gid = int('gid', gid, line);
  const size = get('size');
  if (size !== undefined) {
    if (type !== 'tmpfs') throw new DockerfileError(line, `size is only valid for mount type=tmpfs`);
    spec.size = bytes(size, line);
  }
  const env = get('env');
  if (env !== undefined) {
    if (type !== 'secret') throw new DockerfileError(line, `env is only valid for mount type=secret`);
    // The value would have to sit in the step container's recorded config.
    throw new DockerfileError(
      line,
      'a secret as an environment variable (env=) is not supported by this builder; read the file at its target instead',
    );
  }
  if ((type === 'tmpfs' || type === 'secret') && (spec.from !== undefined || spec.source !== undefined)) {
    throw new DockerfileError(line, `from and source are not valid for mount type=${type}`);
  }
  if (type === 'cache' && (spec.from !== undefined || spec.source !== undefined)) {
    throw new DockerfileError(line, 'a cache mount seeded from= a stage is not supported by this builder');
  }
  if (type === 'bind' && (mode !== undefined || uid !== undefined || gid !== undefined)) {
    throw new DockerfileError(line, 'mode, uid and gid are not valid for mount type=bind');
  }
  return spec;
}
