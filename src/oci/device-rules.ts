// `--device-cgroup-rule` ("c 1:3 rwm", "b *:* m") as the spec's device cgroup entries, with
// Docker's format check; `*` is a wildcard (no major/minor in the entry).
import { invalidArgument } from '../common/errors.ts';
import type { LinuxDeviceCgroup } from './runtime-spec.ts';

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

export function parseDeviceCgroupRule(rule: string): LinuxDeviceCgroup {
  const m = RULE.exec(rule);
  if (!m) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
  const num = (s: string) => (s === '*' ? undefined : Number(s));
  const major = num(m[2]);
  const minor = num(m[3]);
  return {
    allow: true,
    type: m[1] as 'a' | 'b' | 'c',
    ...(major !== undefined ? { major } : {}),
    ...(minor !== undefined ? { minor } : {}),
    access: m[4],
  };
}

/** "rwm" in any order, each at most once; Docker's CLI refuses anything else. */
export function isDeviceAccess(s: string): boolean {
  return s.length > 0 && s.length <= 3 && /^[rwm]+$/.test(s) && new Set(s).size === s.length;
}
