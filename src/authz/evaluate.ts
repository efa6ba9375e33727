// Decides a request against the built-in policy, on the decoded request: the action from
// the route, the limits from the body as its handler decodes it (api/authz-decode.ts).
import { posix } from 'node:path';
import { parseJsonSafe, isObject } from '../common/json.ts';
import { actionMatches, actionOf, type Action } from './actions.ts';
import type { Limits, Policy, Rule } from './policy.ts';
import { callerKey, type Asked, type Caller } from './types.ts';

export interface PolicyContext {
  /** The ID of a container named by ID, name or prefix; undefined when there is none. */
  resolveContainer(ref: string): string | undefined;
  /** The container an exec instance belongs to. */
  execContainer(execId: string): string | undefined;
  /** Who created a container (callerKey), when known. */
  ownerOf(containerId: string): string | undefined;
  /** A host path with its symlinks resolved (the path itself when it does not exist). */
  realpath(path: string): string;
}

export type Verdict = { allow: true; rule?: string } | { allow: false; rule: string; reason: string };

export function matches(rule: Rule, c: Caller): boolean {
  const m = rule.match;
  if (m.cn && c.cn !== undefined && m.cn.includes(c.cn)) return true;
  if (m.uid && c.unix && m.uid.includes(c.unix.uid)) return true;
  if (m.gid && c.unix && [c.unix.gid, ...c.unix.groups].some((g) => m.gid!.includes(g))) return true;
  return Boolean(m.anonymous && c.cn === undefined && !c.unix);
}

export function evaluate(policy: Policy, asked: Asked, ctx: PolicyContext): Verdict {
  const action = actionOf(asked.method, asked.path, asked.query);
  // A ping says nothing and clients send it before anything else.
  if (action.name === 'system:ping') return { allow: true };
  const rule = policy.rules.find((r) => matches(r, asked.subject));
  if (!rule) {
    return policy.default === 'allow'
      ? { allow: true }
      : { allow: false, rule: 'default', reason: 'no rule of the policy matches this client' };
  }
  if (!rule.allow.some((p) => actionMatches(p, action.name)))
    return { allow: false, rule: rule.name, reason: `${action.name} is not allowed` };
  const why = checkLimits(rule.limits, action, asked, ctx);
  return why ? { allow: false, rule: rule.name, reason: why } : { allow: true, rule: rule.name };
}

/** A field of a decoded JSON object, whatever the case of its name. */
function field(o: unknown, name: string): unknown {
  if (!isObject(o)) return undefined;
  if (name in o) return o[name];
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function checkLimits(l: Limits, action: Action, asked: Asked, ctx: PolicyContext): string | undefined {
  const own = ownership(l, action, asked, ctx);
  if (own) return own;
  // The API layer decodes the bodies judged here exactly as their handlers do; a body it
  // did not decode is read as plain JSON (names matched case-insensitively, as Go's would).
  let body: unknown = asked.decoded ?? {};
  const text = asked.body?.toString('utf8').trim() ?? '';
  if (asked.decoded === undefined && text !== '' && text !== 'null') {
    try {
      body = parseJsonSafe(text, 'request body');
    } catch {
      // The handler will refuse it too; nothing undecidable gets through meanwhile.
      if (hasLimits(l)) return 'the request body is not valid JSON';
    }
  }
  switch (action.name) {
    case 'container:create':
      return checkHostConfig(l, field(body, 'HostConfig'), asked.subject, ctx);
    case 'container:exec':
      if (l.privileged === false && field(body, 'Privileged') === true) return '--privileged is not allowed';
      return undefined;
    case 'image:build':
      if (l.hostNetwork === false && asked.query.get('networkmode') === 'host') return '--network host is not allowed';
      return undefined;
    case 'volume:create':
      return checkVolumeOpts(l, field(body, 'DriverOpts'), ctx);
    default:
      return undefined;
  }
}

function hasLimits(l: Limits): boolean {
  return Object.keys(l).some((k) => k !== 'ownContainersOnly');
}

function ownership(l: Limits, action: Action, asked: Asked, ctx: PolicyContext): string | undefined {
  const own = l.ownContainersOnly;
  if (!own) return undefined;
  const covered = own === true ? action.name.startsWith('container:') : own.some((p) => actionMatches(p, action.name));
  if (!covered) return undefined;
  const id = action.exec ? ctx.execContainer(action.exec) : action.container && ctx.resolveContainer(action.container);
  if (!id) return undefined; // nothing to act on: the handler answers 404
  if (ctx.ownerOf(id) !== callerKey(asked.subject))
    return `${action.name} is allowed only on containers this client created`;
  return undefined;
}

function checkHostConfig(l: Limits, hc: unknown, caller: Caller, ctx: PolicyContext): string | undefined {
  if (hc === undefined || hc === null) return undefined;
  if (l.privileged === false && field(hc, 'Privileged') === true) return '--privileged is not allowed';
  if (l.hostNetwork === false && str(field(hc, 'NetworkMode')) === 'host') return '--network host is not allowed';
  if (l.hostNamespaces === false) {
    for (const [f, flag] of [
      ['PidMode', '--pid'],
      ['IpcMode', '--ipc'],
      ['UTSMode', '--uts'],
      ['UsernsMode', '--userns'],
      ['CgroupnsMode', '--cgroupns'],
    ])
      if (str(field(hc, f)) === 'host') return `${flag} host is not allowed`;
  }
  if (l.capAdd) {
    const allowed = new Set(l.capAdd.map(capName));
    for (const c of list(field(hc, 'CapAdd'))) {
      const name = capName(str(c));
      if (!allowed.has(name) && !allowed.has('ALL')) return `--cap-add ${name} is not allowed`;
    }
  }
  if (l.devices === false) {
    for (const f of ['Devices', 'DeviceRequests', 'DeviceCgroupRules'])
      if (list(field(hc, f)).length) return 'devices are not allowed';
  }
  if (l.unconfined === false) {
    for (const o of list(field(hc, 'SecurityOpt'))) {
      const [k, v] = splitOpt(str(o));
      if (k === 'seccomp' && v !== 'builtin' && v !== 'default') return `--security-opt ${str(o)} is not allowed`;
      if ((k === 'apparmor' || k === 'systempaths') && v === 'unconfined')
        return `--security-opt ${str(o)} is not allowed`;
      if (k === 'label' && v === 'disable') return `--security-opt ${str(o)} is not allowed`;
    }
  }
  if (l.bindMounts) {
    for (const b of list(field(hc, 'Binds'))) {
      const src = str(b).split(':')[0];
      if (src.startsWith('/')) {
        const why = bindAllowed(l.bindMounts, src, ctx);
        if (why) return why;
      }
    }
    for (const m of list(field(hc, 'Mounts'))) {
      const type = str(field(m, 'Type'));
      if (type === 'bind') {
        const why = bindAllowed(l.bindMounts, str(field(m, 'Source')), ctx);
        if (why) return why;
      } else if (type === 'volume') {
        const opts = field(field(field(m, 'VolumeOptions'), 'DriverConfig'), 'Options');
        const why = checkVolumeOpts(l, opts, ctx);
        if (why) return why;
      }
    }
    // Another container's mounts come along with --volumes-from: only from one's own.
    for (const v of list(field(hc, 'VolumesFrom'))) {
      const id = ctx.resolveContainer(str(v).split(':')[0]);
      if (id && ctx.ownerOf(id) !== callerKey(caller))
        return `--volumes-from ${str(v)} is not allowed (not a container this client created)`;
    }
  }
  return undefined;
}

/** The local driver's `o=bind` volumes are bind mounts of `device`. */
function checkVolumeOpts(l: Limits, opts: unknown, ctx: PolicyContext): string | undefined {
  if (!l.bindMounts || !isObject(opts)) return undefined;
  const o = str(field(opts, 'o'));
  if (!o.split(',').some((x) => x === 'bind' || x === 'rbind')) return undefined;
  return bindAllowed(l.bindMounts, str(field(opts, 'device')), ctx);
}

function bindAllowed(prefixes: string[], source: string, ctx: PolicyContext): string | undefined {
  if (!source.startsWith('/')) return `bind mount of ${JSON.stringify(source)} is not allowed`;
  const real = ctx.realpath(posix.resolve(source));
  const ok = prefixes.some((p) => {
    const root = ctx.realpath(posix.resolve(p));
    return real === root || real.startsWith(root === '/' ? '/' : `${root}/`);
  });
  return ok
    ? undefined
    : `bind mount of ${source} is not allowed (only under ${prefixes.length ? prefixes.join(', ') : 'no host path'})`;
}

function capName(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u.slice(4) : u;
}

function splitOpt(o: string): [string, string] {
  const i = o.search(/[=:]/);
  return i < 0 ? [o, ''] : [o.slice(0, i), o.slice(i + 1)];
}
