// Resolves Docker's `-u` (`name`, `uid`, `name:group`, `uid:gid`, …) against a container's
// /etc/passwd and /etc/group, with the semantics and messages of runc's
// libcontainer/user GetExecUser (which dockerd uses). Pure: file contents are passed in.
import { invalidArgument } from '../common/errors.ts';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary groups: the user's memberships in /etc/group (only when no group was given) plus groupAdd. */
  additionalGids: number[];
  home: string;
}

const MAX_ID = 2 ** 31 - 1;

function parseLines(content: string | undefined): string[][] {
  if (!content) return [];
  return content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const isNumeric = (s: string) => /^[0-9]+$/.test(s);

export function parsePasswd(content: string | undefined): PasswdEntry[] {
  return parseLines(content).map((f) => ({
    name: f[0] ?? '',
    uid: Number(f[2] ?? NaN),
    gid: Number(f[3] ?? NaN),
    home: f[5] ?? '',
    shell: f[6] ?? '',
  }));
}

export function parseGroup(content: string | undefined): GroupEntry[] {
  return parseLines(content).map((f) => ({
    name: f[0] ?? '',
    gid: Number(f[2] ?? NaN),
    members: (f[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  }));
}

function checkRange(n: number): number {
  if (n < 0 || n > MAX_ID) throw invalidArgument(`uids and gids must be in range 0-${MAX_ID}`);
  return n;
}

/**
 * `spec` is the -u value ('' means the image's default, root). `groupAdd` entries (names
 * or numbers) become extra supplementary groups, as with `docker run --group-add`.
 */
export function resolveUser(
  spec: string,
  passwd: string | undefined,
  group: string | undefined,
  groupAdd: string[] = [],
): ExecUser {
  const [rawUser = '', groupArg = ''] = spec.split(':', 2);
  const userArg = rawUser === '' ? '0' : rawUser; // runc: the default user is uid 0, looked up like any other
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  const out: ExecUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };

  let matchedName: string | undefined;
  const byArg = users.find((u) => u.name === userArg || (isNumeric(userArg) && u.uid === Number(userArg)));
  if (byArg) {
    matchedName = byArg.name;
    out.uid = byArg.uid;
    out.gid = byArg.gid;
    out.home = byArg.home || '/';
  } else if (isNumeric(userArg)) {
    out.uid = checkRange(Number(userArg));
  } else {
    throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
  }

  if (groupArg !== '') {
    const g = groups.find((x) => x.name === groupArg || (isNumeric(groupArg) && x.gid === Number(groupArg)));
    if (g) out.gid = g.gid;
    else if (isNumeric(groupArg)) out.gid = checkRange(Number(groupArg));
    else throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
  } else if (matchedName !== undefined) {
    out.additionalGids = groups.filter((g) => g.members.includes(matchedName)).map((g) => g.gid);
  }

  for (const ga of groupAdd) {
    let gid: number;
    if (isNumeric(ga)) gid = checkRange(Number(ga));
    else {
      const g = groups.find((x) => x.name === ga);
      if (!g) throw invalidArgument(`Unable to find group ${ga}: no matching entries in group file`);
      gid = g.gid;
    }
    if (!out.additionalGids.includes(gid)) out.additionalGids.push(gid);
  }
  return out;
}
