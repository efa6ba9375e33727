// Values of berthd's flags and daemon.json keys, read and checked as dockerd reads them:
// Go's booleans, ulimits, runtimes, labels, address pools, hosts. config.ts applies them.
import { invalidArgument } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import { parseCidr } from '../network/cidr.ts';

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** An OCI runtime binary other than runc (daemon.json `runtimes`). */
export interface RuntimeConfig {
  path: string;
  runtimeArgs?: string[];
}

export const BOOLS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'];
/** Go's strconv.ParseBool, which dockerd's flags use. */
export function parseBool(s: string, name: string): boolean {
  if (!BOOLS.includes(s)) throw invalidArgument(`invalid argument "${s}" for "${name}" flag: parse error`);
  return BOOLS.indexOf(s) < 6;
}

export const ULIMIT_NAMES = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

export function checkUlimit(u: Ulimit, what: string): Ulimit {
  if (!ULIMIT_NAMES.has(u.Name)) throw invalidArgument(`invalid ulimit type: ${u.Name}`);
  if (!Number.isSafeInteger(u.Soft) || !Number.isSafeInteger(u.Hard) || u.Soft < -1 || u.Hard < -1)
    throw invalidArgument(`invalid ulimit ${what}: soft and hard limits must be integers`);
  if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard))
    throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  return u;
}

/** `nofile=1024:2048` (or `nofile=1024`), as `--default-ulimit` takes it. */
export function parseUlimitFlag(s: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(s);
  if (!m) throw invalidArgument(`invalid ulimit argument: ${s}`);
  const soft = Number(m[2]);
  return checkUlimit({ Name: m[1], Soft: soft, Hard: m[3] === undefined ? soft : Number(m[3]) }, s);
}

export function ulimitsFromJson(v: unknown): Record<string, Ulimit> {
  if (!isObject(v)) throw invalidArgument('default-ulimits must be an object of {"Name", "Soft", "Hard"} by name');
  const out: Record<string, Ulimit> = {};
  for (const [name, u] of Object.entries(v)) {
    if (!isObject(u)) throw invalidArgument(`default-ulimits.${name} must be {"Name", "Soft", "Hard"}`);
    const lim = { Name: typeof u.Name === 'string' ? u.Name : name, Soft: u.Soft as number, Hard: u.Hard as number };
    if (lim.Name !== name) throw invalidArgument(`default-ulimits.${name} names another ulimit (${lim.Name})`);
    out[name] = checkUlimit(lim, name);
  }
  return out;
}

export function runtimesFromJson(v: unknown): Record<string, RuntimeConfig> {
  if (!isObject(v)) throw invalidArgument('runtimes must be an object of {"path", "runtimeArgs"} by name');
  const out: Record<string, RuntimeConfig> = {};
  for (const [name, r] of Object.entries(v)) {
    if (!isObject(r)) throw invalidArgument(`runtimes.${name} must be an object`);
    const extra = Object.keys(r).filter((k) => k !== 'path' && k !== 'runtimeArgs');
    if (extra.length)
      throw invalidArgument(
        `runtimes.${name}: ${extra.join(', ')} not supported: only OCI runtime binaries ("path", "runtimeArgs") are`,
      );
    if (typeof r.path !== 'string' || !r.path) throw invalidArgument(`runtimes.${name}: "path" must be given`);
    const args = r.runtimeArgs ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
      throw invalidArgument(`runtimes.${name}: runtimeArgs must be a list of strings`);
    out[name] = { path: r.path, ...(args.length ? { runtimeArgs: args as string[] } : {}) };
  }
  return checkRuntimes(out);
}

export function checkRuntimes(rts: Record<string, RuntimeConfig>): Record<string, RuntimeConfig> {
  for (const name of Object.keys(rts)) {
    if (name === 'runc' || name === 'default') throw invalidArgument(`runtime name '${name}' is reserved`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid runtime name: ${name}`);
  }
  return rts;
}

export function stringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalidArgument(`${name} must be a list of strings`);
  return v as string[];
}

export function checkLabel(l: string): string {
  if (!/^[^=\s]+=/.test(l)) throw invalidArgument(`bad attribute format: ${l}`);
  return l;
}

export function poolsFromJson(v: unknown): { base: string; size: number }[] {
  if (!Array.isArray(v) || !v.every((p) => isObject(p) && typeof p.base === 'string' && Number.isInteger(p.size)))
    throw invalidArgument('default-address-pools must be a list of {"base": CIDR, "size": prefix length}');
  for (const p of v as { base: string; size: number }[]) {
    const base = parseCidr(p.base, 'default-address-pools base');
    if (p.size < base.prefix || p.size > (base.family === 4 ? 32 : 128))
      throw invalidArgument(`invalid default-address-pools size ${p.size} for base ${p.base}`);
  }
  return v.map((p) => ({ base: p.base as string, size: p.size as number }));
}

/** Seconds (a number, or its decimal string on the command line); 0 keeps Docker's deadlines. */
export function pluginTimeout(v: unknown, name: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) throw invalidArgument(`invalid value for ${name}: ${String(v)} (seconds)`);
  return n;
}

export function mtuOf(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 68) throw invalidArgument(`invalid mtu: ${String(v)}`);
  return n;
}

export function logFormat(s: string): 'text' | 'json' {
  if (s !== 'text' && s !== 'json') throw invalidArgument(`unsupported log format "${s}" (text, json)`);
  return s;
}

/** unix://, tcp:// and fd:// addresses; a bare path is a unix socket. */
export function normalizeHost(h: string): string {
  if (h.startsWith('/')) return `unix://${h}`;
  if (h.startsWith('unix://')) return h;
  if (h.startsWith('fd://')) {
    const rest = h.slice('fd://'.length);
    if (rest !== '' && rest !== '*' && !/^\d+$/.test(rest))
      throw invalidArgument(`failed to parse systemd fd address: should be a number: ${rest}`);
    return h;
  }
  if (h.startsWith('tcp://')) {
    const rest = h.slice('tcp://'.length);
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:/[\]]*)(:\d+)?\/?$/.test(rest)) throw invalidArgument(`invalid host address: ${h}`);
    return h.replace(/\/$/, '');
  }
  throw invalidArgument(`invalid host address: ${h}`);
}
