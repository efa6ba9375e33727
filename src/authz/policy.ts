// Berth's built-in authorization policy (daemon.json `authorization-policy` names the
// file). Rules are tried in order; the first whose `match` fits the caller decides: the
// request's action must be in its `allow` list and the request must stay within its
// `limits`. A caller no rule matches gets `default` ("deny" unless set to "allow").
//
//   { "default": "deny",
//     "rules": [
//       { "name": "admins", "match": { "cn": ["ops"], "uid": [0] }, "allow": ["*"] },
//       { "name": "ci", "match": { "cn": ["ci"] }, "allow": ["container:*", "image:*", "system:read"],
//         "limits": { "privileged": false, "hostNetwork": false, "bindMounts": ["/srv"],
//                     "ownContainersOnly": ["container:exec"] } } ] }
import { invalidArgument } from '../common/errors.ts';
import { isObject } from '../common/json.ts';

export interface Limits {
  /** false: no --privileged (containers and execs). */
  privileged?: boolean;
  /** false: no --network host (containers, builds). */
  hostNetwork?: boolean;
  /** false: no host PID/IPC/UTS/user/cgroup namespaces. */
  hostNamespaces?: boolean;
  /** Host paths under which bind mounts (and bind-backed volumes) may be made; [] none. */
  bindMounts?: string[];
  /** Capabilities --cap-add may name; [] none. */
  capAdd?: string[];
  /** false: no --device, --gpus or device cgroup rules. */
  devices?: boolean;
  /** false: no seccomp/apparmor/systempaths unconfined, no label=disable. */
  unconfined?: boolean;
  /** Actions allowed only on containers this caller created (true: every container action). */
  ownContainersOnly?: string[] | true;
}

export interface Rule {
  name: string;
  match: { cn?: string[]; uid?: number[]; gid?: number[]; anonymous?: boolean };
  allow: string[];
  limits: Limits;
}

export interface Policy {
  default: 'allow' | 'deny';
  rules: Rule[];
}

const LIMIT_KEYS: Record<keyof Limits, 'bool' | 'strings' | 'own'> = {
  privileged: 'bool',
  hostNetwork: 'bool',
  hostNamespaces: 'bool',
  bindMounts: 'strings',
  capAdd: 'strings',
  devices: 'bool',
  unconfined: 'bool',
  ownContainersOnly: 'own',
};

const ACTION = /^(\*|[a-z]+:(\*|[a-z]+))$/;

export function parsePolicy(v: unknown, where: string): Policy {
  const bad = (msg: string) => invalidArgument(`invalid authorization policy ${where}: ${msg}`);
  if (!isObject(v)) throw bad('expected a JSON object');
  for (const k of Object.keys(v)) if (k !== 'default' && k !== 'rules') throw bad(`unknown key "${k}"`);
  const dflt = v.default ?? 'deny';
  if (dflt !== 'allow' && dflt !== 'deny') throw bad('"default" must be "allow" or "deny"');
  if (!Array.isArray(v.rules)) throw bad('"rules" must be a list');
  const names = new Set<string>();
  const rules = v.rules.map((r, i): Rule => {
    if (!isObject(r)) throw bad(`rule ${i + 1} must be an object`);
    for (const k of Object.keys(r))
      if (!['name', 'match', 'allow', 'limits'].includes(k)) throw bad(`rule ${i + 1}: unknown key "${k}"`);
    if (typeof r.name !== 'string' || !r.name) throw bad(`rule ${i + 1} needs a "name"`);
    if (names.has(r.name)) throw bad(`two rules are named "${r.name}"`);
    names.add(r.name);
    const at = `rule "${r.name}"`;
    if (!isObject(r.match)) throw bad(`${at}: "match" must be an object`);
    const match: Rule['match'] = {};
    for (const [k, m] of Object.entries(r.match)) {
      if (k === 'cn') {
        if (!Array.isArray(m) || m.some((x) => typeof x !== 'string')) throw bad(`${at}: match.cn must list strings`);
        match.cn = m as string[];
      } else if (k === 'uid' || k === 'gid') {
        if (!Array.isArray(m) || m.some((x) => !Number.isInteger(x) || (x as number) < 0))
          throw bad(`${at}: match.${k} must list ids`);
        match[k] = m as number[];
      } else if (k === 'anonymous') {
        if (typeof m !== 'boolean') throw bad(`${at}: match.anonymous must be true or false`);
        match.anonymous = m;
      } else throw bad(`${at}: unknown match key "${k}" (cn, uid, gid, anonymous)`);
    }
    if (!Array.isArray(r.allow) || r.allow.some((a) => typeof a !== 'string' || !ACTION.test(a)))
      throw bad(`${at}: "allow" must list actions ("*", "container:*", "image:pull" …)`);
    const limits: Limits = {};
    if (r.limits !== undefined) {
      if (!isObject(r.limits)) throw bad(`${at}: "limits" must be an object`);
      for (const [k, l] of Object.entries(r.limits)) {
        const kind = LIMIT_KEYS[k as keyof Limits];
        if (!kind) throw bad(`${at}: unknown limit "${k}" (${Object.keys(LIMIT_KEYS).join(', ')})`);
        if (kind === 'bool' && typeof l !== 'boolean') throw bad(`${at}: limits.${k} must be true or false`);
        if (kind === 'strings' && (!Array.isArray(l) || l.some((x) => typeof x !== 'string')))
          throw bad(`${at}: limits.${k} must list strings`);
        if (
          kind === 'own' &&
          l !== true &&
          (!Array.isArray(l) || l.some((x) => typeof x !== 'string' || !ACTION.test(x)))
        )
          throw bad(`${at}: limits.ownContainersOnly must be true or list actions`);
        if (k === 'bindMounts' && (l as string[]).some((p) => !p.startsWith('/')))
          throw bad(`${at}: limits.bindMounts must list absolute paths`);
        (limits as Record<string, unknown>)[k] = l;
      }
    }
    return { name: r.name, match, allow: r.allow as string[], limits };
  });
  return { default: dflt, rules };
}
