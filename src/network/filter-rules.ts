// Accept rules for our bridges in an iptables `filter` table that another program made
// (Docker sets its FORWARD policy to DROP, and with br_netfilter bridged frames pass
// through it too). A drop in any table is final, so our own nftables table cannot undo
// it: like Podman and libvirt we add accept rules to that table, in a chain of our own
// (`BERTH-<bridge>`) jumped to from Docker's documented `DOCKER-USER` chain when it exists,
// else from FORWARD. Nothing else in the table is touched. Accepting here never widens
// what our own table refuses (icc=false, internal networks): those drops still apply.
import { readFile } from 'node:fs/promises';
import { run } from '../sys/exec.ts';

export type FilterBackend = 'nft' | 'legacy';
export type FilterFamily = 'ip' | 'ip6';

export interface FilterTable {
  backend: FilterBackend;
  family: FilterFamily;
}

const NFT = '/usr/sbin/nft';
const tool = (t: FilterTable, verb: 'save' | 'restore') =>
  `/usr/sbin/${t.family === 'ip' ? 'iptables' : 'ip6tables'}-${t.backend}-${verb}`;

export const tableKey = (t: FilterTable) => `${t.backend}/${t.family}`;

/**
 * The filter tables present in this network namespace. Legacy ones are read from
 * /proc/net (asking iptables-legacy would create the table); nf_tables ones are the
 * `ip filter` / `ip6 filter` tables iptables-nft makes.
 */
export async function presentFilterTables(only?: FilterBackend): Promise<FilterTable[]> {
  const out: FilterTable[] = [];
  for (const [family, file] of [
    ['ip', '/proc/net/ip_tables_names'],
    ['ip6', '/proc/net/ip6_tables_names'],
  ] as const) {
    const names = await readFile(file, 'utf8').catch(() => '');
    if (only !== 'nft' && names.split('\n').includes('filter')) out.push({ backend: 'legacy', family });
  }
  if (only === 'legacy') return out;
  const r = await run(NFT, ['-j', 'list', 'tables'], { allowFail: true, timeoutMs: 10_000 });
  if (r.code === 0) {
    const list = (JSON.parse(r.stdout.toString() || '{}').nftables ?? []) as {
      table?: { family: string; name: string };
    }[];
    for (const e of list)
      if (e.table?.name === 'filter' && (e.table.family === 'ip' || e.table.family === 'ip6'))
        out.push({ backend: 'nft', family: e.table.family });
  }
  return out;
}

/** Our chain's rules as iptables-save prints them, for these bridges. */
export function acceptRules(chain: string, bridges: string[]): string[] {
  return bridges.flatMap((b) => [
    // Replies and published ports (DNAT) into the bridge; anything out of it.
    `-A ${chain} -o ${b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${chain} -o ${b} -m conntrack --ctstate DNAT -j ACCEPT`,
    `-A ${chain} -i ${b} -j ACCEPT`,
  ]);
}

interface SavedFilter {
  chains: Set<string>;
  rules: { chain: string; line: string }[];
}

async function save(t: FilterTable): Promise<SavedFilter> {
  const r = await run(tool(t, 'save'), ['-t', 'filter'], { timeoutMs: 10_000 });
  const chains = new Set<string>();
  const rules: SavedFilter['rules'] = [];
  for (const line of r.stdout.toString().split('\n')) {
    if (line.startsWith(':')) chains.add(line.slice(1).split(' ')[0]);
    else if (line.startsWith('-A ')) rules.push({ chain: line.split(' ')[1], line });
  }
  return { chains, rules };
}

const restore = (t: FilterTable, lines: string[]) =>
  run(tool(t, 'restore'), ['--noflush'], { input: ['*filter', ...lines, 'COMMIT', ''].join('\n'), timeoutMs: 10_000 });

export interface EnsureResult {
  changed: boolean;
  /** Our chain's rules as the table holds them after the call (compare with the next call). */
  seen: string[];
}

/**
 * Makes the table hold exactly our chain with `rules` and one jump to it from the hook
 * chain (DOCKER-USER, else FORWARD), in one iptables-restore transaction. `seen` from the
 * previous call stands in for `rules` when comparing, so a tool that prints rules slightly
 * differently cannot make us rewrite the chain on every check.
 */
export async function ensureAcceptChain(
  t: FilterTable,
  chain: string,
  rules: string[],
  seen?: string[],
): Promise<EnsureResult> {
  const before = await save(t);
  const hook = before.chains.has('DOCKER-USER') ? 'DOCKER-USER' : 'FORWARD';
  const jumps = before.rules.filter((r) => r.line === `-A ${r.chain} -j ${chain}`);
  const keep = jumps.find((j) => j.chain === hook);
  const ours = before.rules.filter((r) => r.chain === chain).map((r) => r.line);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const rulesOk = before.chains.has(chain) && (same(ours, rules) || (seen !== undefined && same(ours, seen)));
  if (rulesOk && keep && jumps.length === 1) return { changed: false, seen: ours };
  const script = [`:${chain} - [0:0]`, ...rules];
  let kept = false;
  for (const j of jumps) {
    if (j.chain === hook && !kept) kept = true;
    else script.push(`-D ${j.chain} -j ${chain}`);
  }
  if (!kept) script.push(`-I ${hook} 1 -j ${chain}`);
  await restore(t, script);
  const after = await save(t);
  return { changed: true, seen: after.rules.filter((r) => r.chain === chain).map((r) => r.line) };
}

/** Removes every jump to our chain and the chain itself; a table without it is left alone. */
export async function removeAcceptChain(t: FilterTable, chain: string): Promise<void> {
  const before = await save(t);
  if (!before.chains.has(chain)) return;
  const jumps = before.rules.filter((r) => r.line === `-A ${r.chain} -j ${chain}`);
  await restore(t, [...jumps.map((j) => `-D ${j.chain} -j ${chain}`), `-F ${chain}`, `-X ${chain}`]);
}

/** Our chain out of every filter table present (berthd started with the firewall off). */
export async function removeAcceptChains(chain: string): Promise<void> {
  for (const t of await presentFilterTables()) await removeAcceptChain(t, chain);
}
