// nftables rules in our OWN tables (`table ip <name>`, `table ip6 <name>`, `table bridge
// <name>`, one set per daemon): masquerade for each network's subnets (IPv6 only where the
// network asks for NAT66), published ports as DNAT maps (from other hosts, from the
// host's own addresses and from 127.0.0.1 via hairpin masquerade; [::1] is served by the
// port proxy instead: the kernel never routes a loopback source out of a bridge),
// isolation of internal networks and icc=false. The tables are replaced in one atomic
// transaction from recorded state, so a crash can never leave half a rule set; other
// tables are never touched.
import { run } from '../sys/exec.ts';
import type { PortMapping } from './store.ts';

const NFT = '/usr/sbin/nft';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  subnet6?: string;
  internal: boolean;
  icc: boolean;
  gateway?: string;
  gateway6?: string;
  /** Masquerade what leaves the network, per family. */
  masq4: boolean;
  masq6: boolean;
}
export interface FirewallPort extends PortMapping {
  /** The container's IPv4 address, and its IPv6 one when its network has IPv6. */
  ip: string;
  ip6?: string;
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}

const q = (s: string) => JSON.stringify(s);
const els = (a: string[]) => (a.length ? ` elements = { ${a.join(', ')} }` : '');
const isV6 = (ip: string) => ip.includes(':');

/** One family's table (`ip` or `ip6`). */
function familyTable(table: string, st: FirewallState, fam: 'ip' | 'ip6'): string[] {
  const v6 = fam === 'ip6';
  const addrType = v6 ? 'ipv6_addr' : 'ipv4_addr';
  const anyHost = v6 ? '::' : '0.0.0.0';
  const target = (p: FirewallPort) => (v6 ? p.ip6 : p.ip);
  const ports = st.ports.filter((p) => target(p) && (p.hostIp === '' || isV6(p.hostIp) === v6));
  const anyEl = ports
    .filter((p) => p.hostIp === '' || p.hostIp === anyHost)
    .map((p) => `${p.proto} . ${p.hostPort} : ${target(p)} . ${p.containerPort}`);
  const ipEl = ports
    .filter((p) => p.hostIp !== '' && p.hostIp !== anyHost && p.hostIp !== '::1')
    .map((p) => `${p.hostIp} . ${p.proto} . ${p.hostPort} : ${target(p)} . ${p.containerPort}`);
  // ::1 never reaches a bridge (no route_localnet for IPv6): the port proxy serves it.
  const local = v6 ? 'ip6 daddr != ::1 fib daddr type local' : 'fib daddr type local';
  const dnat = [
    `${local} dnat ${fam} to meta l4proto . th dport map @ports_any`,
    `${local} dnat ${fam} to ${fam} daddr . meta l4proto . th dport map @ports_ip`,
  ];
  const post: string[] = v6 ? [] : ['ct status dnat ip saddr 127.0.0.0/8 masquerade'];
  const fwd: string[] = ['ct state established,related accept'];
  const input: string[] = ['ct state established,related accept'];
  for (const n of st.networks) {
    const subnet = v6 ? n.subnet6 : n.subnet;
    const gateway = v6 ? n.gateway6 : n.gateway;
    // Hairpin: a container reaching its own network's published port on a host address.
    post.push(`ct status dnat iifname ${q(n.bridge)} oifname ${q(n.bridge)} masquerade`);
    if (!n.icc) fwd.push(`iifname ${q(n.bridge)} oifname ${q(n.bridge)} drop`);
    if (n.internal) {
      fwd.push(
        `iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`,
        `oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`,
      );
      // The host's other addresses are off limits too; its gateway (our DNS) is not.
      input.push(`iifname ${q(n.bridge)} ${gateway ? `${fam} daddr != ${gateway} ` : ''}drop`);
      continue;
    }
    if (subnet && (v6 ? n.masq6 : n.masq4)) post.push(`${fam} saddr ${subnet} oifname != ${q(n.bridge)} masquerade`);
  }
  return [
    `table ${fam} ${table}`,
    `delete table ${fam} ${table}`,
    `table ${fam} ${table} {`,
    `  map ports_any { type inet_proto . inet_service : ${addrType} . inet_service;${els(anyEl)} }`,
    `  map ports_ip { type ${addrType} . inet_proto . inet_service : ${addrType} . inet_service;${els(ipEl)} }`,
    `  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n    ${dnat.join('\n    ')}\n  }`,
    `  chain output { type nat hook output priority -100; policy accept;\n    ${dnat.join('\n    ')}\n  }`,
    `  chain postrouting { type nat hook postrouting priority srcnat; policy accept;${post.map((r) => `\n    ${r}`).join('')}\n  }`,
    `  chain forward { type filter hook forward priority filter; policy accept;\n    ${fwd.join('\n    ')}\n  }`,
    `  chain input { type filter hook input priority filter; policy accept;\n    ${input.join('\n    ')}\n  }`,
    '}',
  ];
}

export function renderTable(table: string, st: FirewallState): string {
  // icc=false: frames between two ports of one bridge never reach the ip family's forward
  // hook unless br_netfilter is loaded, so they are dropped in a bridge-family table too
  // (by subnet: this kernel has no `meta ibrname`; our subnets never overlap).
  const bridged = st.networks
    .filter((n) => !n.icc)
    .flatMap((n) => [
      `ip saddr ${n.subnet} ip daddr ${n.subnet} drop`,
      ...(n.subnet6 ? [`ip6 saddr ${n.subnet6} ip6 daddr ${n.subnet6} drop`] : []),
    ]);
  return [
    ...familyTable(table, st, 'ip'),
    ...familyTable(table, st, 'ip6'),
    `table bridge ${table}`,
    `delete table bridge ${table}`,
    `table bridge ${table} {`,
    `  chain forward { type filter hook forward priority filter; policy accept;${bridged.map((r) => `\n    ${r}`).join('')}\n  }`,
    '}',
    '',
  ].join('\n');
}

/** Replaces the tables atomically; a rule that cannot be installed is an error. */
export async function applyTable(table: string, st: FirewallState): Promise<void> {
  await run(NFT, ['-f', '-'], { input: renderTable(table, st), timeoutMs: 10_000 });
}

export async function deleteTable(table: string): Promise<void> {
  for (const fam of ['ip', 'ip6', 'bridge']) await run(NFT, ['delete', 'table', fam, table], { allowFail: true });
}

export async function listTable(table: string): Promise<string> {
  return (await run(NFT, ['list', 'table', 'ip', table], { allowFail: true })).stdout.toString();
}
