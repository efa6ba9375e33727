import { readFileSync } from 'node:fs';

/** The gid of a group from /etc/group, or undefined when it does not exist. */
export function getgrnam(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] !== undefined) return Number(f[2]);
    }
  } catch {
    /* no /etc/group */
  }
  return undefined;
}
