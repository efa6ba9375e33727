// `--userns-remap` as dockerd reads it: "default" means the `dockremap` user and group
// (created with useradd, with subordinate ranges added by usermod, when the user does not
// exist), or `user[:group]` by name or id. The container's ids come from the user's
// /etc/subuid ranges and the group's /etc/subgid ranges, laid end to end from 0.
import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../common/errors.ts';
import { resolveBinary, run } from '../sys/exec.ts';
import type { IdRange } from '../sys/userns.ts';

export const DEFAULT_REMAP_USER = 'dockremap';
/** The size of the range dockerd gives `dockremap`, and where it starts looking. */
const RANGE_SIZE = 65536;
const FIRST_START = 100000;

export interface Remap {
  user: string;
  group: string;
  uidMap: IdRange[];
  gidMap: IdRange[];
  /** The host ids of root in the container. */
  root: { uid: number; gid: number };
}

export interface RemapFiles {
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
}

const FILES: RemapFiles = { passwd: '/etc/passwd', group: '/etc/group', subuid: '/etc/subuid', subgid: '/etc/subgid' };

interface Entry {
  name: string;
  id: number;
}

/** name:x:id:… lines of /etc/passwd or /etc/group. */
export function parseIdFile(text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (f[0] && Number.isInteger(id)) out.push({ name: f[0], id });
  }
  return out;
}

export interface SubRange {
  owner: string;
  start: number;
  length: number;
}

/** name-or-id:start:count lines of /etc/subuid or /etc/subgid. */
export function parseSubIds(text: string): SubRange[] {
  const out: SubRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || line.trim().startsWith('#')) continue;
    const start = Number(f[1]);
    const length = Number(f[2]);
    if (f[0] && Number.isSafeInteger(start) && start >= 0 && Number.isSafeInteger(length) && length > 0)
      out.push({ owner: f[0], start, length });
  }
  return out;
}

/** The first start at or after 100000 where `size` ids overlap no existing range (dockerd's search). */
export function nextFreeStart(ranges: SubRange[], size = RANGE_SIZE): number {
  let start = FIRST_START;
  for (const r of [...ranges].sort((a, b) => a.start - b.start))
    if (start < r.start + r.length && r.start < start + size) start = r.start + r.length;
  return start;
}

/** The ranges of an owner (by name or numeric id) end to end from container id 0. */
export function mappingOf(ranges: SubRange[], name: string, id: number): IdRange[] {
  let next = 0;
  return ranges
    .filter((r) => r.owner === name || r.owner === String(id))
    .map((r) => {
      const m = { containerID: next, hostID: r.start, size: r.length };
      next += r.length;
      return m;
    });
}

const isId = (s: string) => /^\d+$/.test(s);

function lookup(entries: Entry[], key: string, what: string, file: string): Entry {
  const e = isId(key) ? entries.find((x) => x.id === Number(key)) : entries.find((x) => x.name === key);
  if (!e) throw invalidArgument(`userns-remap: ${what} ${JSON.stringify(key)} has no entry in ${file}`);
  return e;
}

/**
 * The remapping a `--userns-remap` value names. "default" creates `dockremap` (useradd
 * --system, then usermod -v/-w with the next free 65536 ids) when it does not exist yet,
 * as dockerd does; every other name must exist and own ranges.
 */
export async function loadRemap(value: string, files: RemapFiles = FILES): Promise<Remap | undefined> {
  if (value === '') return undefined;
  const parts = value.split(':');
  if (parts.length > 2 || parts.some((p) => p === ''))
    throw invalidArgument(`Invalid user/group specification in --userns-remap: ${JSON.stringify(value)}`);
  const read = async (f: string) => readFile(f, 'utf8').catch(() => '');
  const userKey = parts[0] === 'default' ? DEFAULT_REMAP_USER : parts[0];
  if (parts[0] === 'default' && !parseIdFile(await read(files.passwd)).some((e) => e.name === DEFAULT_REMAP_USER))
    await createDefaultUser(files);
  const users = parseIdFile(await read(files.passwd));
  const groups = parseIdFile(await read(files.group));
  const user = lookup(users, userKey, 'user', files.passwd);
  // A user alone: its own name (or, given as a uid, the same number) as the group.
  const group = lookup(groups, parts[1] ?? (isId(userKey) ? userKey : user.name), 'group', files.group);
  const uidMap = mappingOf(parseSubIds(await read(files.subuid)), user.name, user.id);
  const gidMap = mappingOf(parseSubIds(await read(files.subgid)), group.name, group.id);
  if (uidMap.length === 0) throw invalidArgument(`No subuid ranges found for user ${JSON.stringify(user.name)}`);
  if (gidMap.length === 0) throw invalidArgument(`No subgid ranges found for group ${JSON.stringify(group.name)}`);
  return { user: user.name, group: group.name, uidMap, gidMap, root: { uid: uidMap[0].hostID, gid: gidMap[0].hostID } };
}

async function createDefaultUser(files: RemapFiles): Promise<void> {
  const useradd = resolveBinary('useradd', ['/usr/sbin/useradd', '/sbin/useradd']);
  const usermod = resolveBinary('usermod', ['/usr/sbin/usermod', '/sbin/usermod']);
  // --user-group: the group of the same name is what "default" maps gids through.
  await run(useradd, ['--system', '--user-group', '--shell', '/bin/false', DEFAULT_REMAP_USER]);
  const read = async (f: string) => readFile(f, 'utf8').catch(() => '');
  const uids = parseSubIds(await read(files.subuid));
  if (!uids.some((r) => r.owner === DEFAULT_REMAP_USER)) {
    const s = nextFreeStart(uids);
    await run(usermod, ['--add-subuids', `${s}-${s + RANGE_SIZE - 1}`, DEFAULT_REMAP_USER]);
  }
  const gids = parseSubIds(await read(files.subgid));
  if (!gids.some((r) => r.owner === DEFAULT_REMAP_USER)) {
    const s = nextFreeStart(gids);
    await run(usermod, ['--add-subgids', `${s}-${s + RANGE_SIZE - 1}`, DEFAULT_REMAP_USER]);
  }
}
