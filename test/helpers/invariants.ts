// What must hold of a quiet daemon whatever happened to it: every runc task, shim, host
// veth and network namespace belongs to a container the API shows running; no leftovers
// in its directories. The crash test and scripts/soak check these.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder, netPrefixes, shimsOf, testNetwork, type TestDaemon } from './daemon.ts';
import { demux } from './http.ts';

/** The runc containers of a daemon, with their status. */
export function runcTasks(d: TestDaemon): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const list = JSON.parse(
      execFileSync('runc', ['--root', join(d.execRoot, 'runc', 'berth'), 'list', '--format', 'json']).toString() ||
        '[]',
    ) as { id: string; status: string }[] | null;
    for (const c of list ?? []) out.set(c.id, c.status);
  } catch {
    /* no runc root yet */
  }
  return out;
}

export function hostVeths(d: TestDaemon): string[] {
  const prefix = netPrefixes(d.execRoot).veth;
  return execFileSync('/usr/sbin/ip', ['-o', 'link', 'show'])
    .toString()
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

export function namespaces(d: TestDaemon): string[] {
  const prefix = netPrefixes(d.execRoot).netns;
  return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
}

const ls = (p: string) => (existsSync(p) ? readdirSync(p) : []);

/** Everything that does not add up, in words (empty: consistent). */
export async function inconsistencies(d: TestDaemon): Promise<string[]> {
  const list = (await d.api('GET', '/containers/json')).json() as { Id: string }[];
  const all = (await d.api('GET', '/containers/json?all=1')).json() as { Id: string }[];
  const running = new Set(list.map((c) => c.Id));
  const tasks = runcTasks(d);
  const problems: string[] = [];
  for (const [id, status] of tasks)
    if (!running.has(id)) problems.push(`runc task ${id.slice(0, 12)} (${status}) is no running container`);
    else if (status !== 'running' && status !== 'paused')
      problems.push(`runc task ${id.slice(0, 12)} is ${status}, the API says running`);
  for (const id of running) if (!tasks.has(id)) problems.push(`running container ${id.slice(0, 12)} has no runc task`);
  let endpoints = 0;
  let ownNetns = 0;
  const addresses = new Set<string>();
  for (const id of running) {
    const c = (await d.api('GET', `/containers/${id}/json`)).json();
    endpoints += Object.keys(c.NetworkSettings.Networks ?? {}).length;
    for (const n of Object.values(c.NetworkSettings.Networks ?? {}) as {
      IPAddress?: string;
      GlobalIPv6Address?: string;
    }[])
      for (const a of [n.IPAddress, n.GlobalIPv6Address]) if (a) addresses.add(a);
    const mode: string = c.HostConfig.NetworkMode ?? 'default';
    if (mode !== 'host' && !mode.startsWith('container:')) ownNetns++;
  }
  const veths = hostVeths(d);
  if (veths.length !== endpoints) {
    // Name the host ends no endpoint record claims, and where their container ends live.
    const claimed = new Set(
      ls(join(d.dataRoot, 'network', 'endpoints')).flatMap((f) => {
        try {
          return [JSON.parse(readFileSync(join(d.dataRoot, 'network', 'endpoints', f), 'utf8')).hostIf as string];
        } catch {
          return [];
        }
      }),
    );
    const odd = veths.filter((v) => !claimed.has(v));
    problems.push(`${veths.length} host veths for ${endpoints} endpoints (unclaimed: ${odd.join(', ') || 'none'})`);
  }
  const ns = namespaces(d);
  if (ns.length !== ownNetns) problems.push(`${ns.length} namespaces for ${ownNetns} running containers`);
  const shims = shimsOf(d.execRoot).length;
  if (shims > running.size + 1) problems.push(`${shims} shims for ${running.size} running containers (+1 idle)`);
  const bundles = ls(join(d.execRoot, 'tasks')).filter((n) => !n.startsWith('pool-'));
  const stray = bundles.filter((b) => !running.has(b));
  if (stray.length) problems.push(`bundles of no running container: ${stray.map((b) => b.slice(0, 12)).join(', ')}`);
  // Any mount under the daemon's roots must be a running container's (its path names it).
  const ids = [...running];
  const mounts = [...mountsUnder(d.execRoot), ...mountsUnder(d.dataRoot)].filter(
    (m) => !ids.some((id) => m.split('/').includes(id)),
  );
  if (mounts.length) problems.push(`mounts of no running container: ${mounts.join(', ')}`);
  problems.push(...firewallLeaks(d, addresses));
  const known = new Set(all.map((c) => c.Id));
  const dirs = ls(join(d.dataRoot, 'containers')).filter((n) => !known.has(n));
  if (dirs.length) problems.push(`container directories the API does not list: ${dirs.join(', ')}`);
  if (ls(join(d.execRoot, 'views')).length) problems.push('views left mounted');
  return problems;
}

/**
 * The daemon's nftables tables may name only running containers' addresses (published
 * ports) and existing bridges.
 */
export function firewallLeaks(d: TestDaemon, addresses: Set<string>): string[] {
  const { table } = testNetwork(d.root);
  const problems: string[] = [];
  for (const fam of ['ip', 'ip6']) {
    let text: string;
    try {
      text = execFileSync('/usr/sbin/nft', ['list', 'table', fam, table], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
    } catch {
      continue; // no such table
    }
    // Map elements: `... : <container address> . <port>`.
    const targets = [...text.matchAll(/:\s*([0-9a-f.:]+?)\s*\.\s*\d+\s*[,}]/g)].map((m) => m[1]);
    const stale = [...new Set(targets)].filter((a) => !addresses.has(a));
    if (stale.length)
      problems.push(`nft table ${fam} ${table} forwards to addresses of no running container: ${stale.join(', ')}`);
    const links = new Set(
      execFileSync('/usr/sbin/ip', ['-o', 'link', 'show'])
        .toString()
        .split('\n')
        .map((l) => l.split(': ')[1]?.split('@')[0] ?? ''),
    );
    const bridges = [...new Set([...text.matchAll(/[io]ifname (?:!= )?"([^"]+)"/g)].map((m) => m[1]))];
    const gone = bridges.filter((b) => !links.has(b));
    if (gone.length)
      problems.push(`nft table ${fam} ${table} has rules for bridges that no longer exist: ${gone.join(', ')}`);
  }
  return problems;
}

/** Gaps in a witness container's numbered lines ("line<N>"), and how many it wrote. */
export async function logGaps(d: TestDaemon, id: string): Promise<{ lines: number; gaps: string[] }> {
  const out = demux((await d.api('GET', `/containers/${id}/logs?stdout=1`)).body).stdout;
  const nums = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.replace(/^line/, '')));
  const gaps: string[] = [];
  for (let i = 1; i < nums.length; i++) if (nums[i] !== nums[i - 1] + 1) gaps.push(`${nums[i - 1]} → ${nums[i]}`);
  if (nums.length && nums[0] !== 0) gaps.unshift(`starts at ${nums[0]}`);
  return { lines: nums.length, gaps };
}
