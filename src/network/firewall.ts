// nftables rules in our OWN table (`table ip <name>`, one per daemon): masquerade for
// each network's subnet, published ports as DNAT maps (from other hosts, from the host's
// own addresses and from 127.0.0.1 via hairpin masquerade), isolation of internal
// networks and icc=false. The whole table is replaced in one atomic transaction from
// recorded state, so a crash can never leave half a rule set; other tables are never touched.
import { run } from '../sys/exec.ts';
import type { PortMapping } from './store.ts';

const NFT = '/usr/sbin/nft';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
  icc: boolean;
  gateway?: string;
}
export interface FirewallPort extends PortMapping {
  ip: string;
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
  masquerade: boolean;
}

const q = (s: string) => JSON.stringify(s);

export function renderTable(table: string, st: FirewallState): string {
  const anyEl = st.ports
    .filter((p) => !p.hostIp || p.hostIp === '0.0.0.0')
    .map((p) => `${p.proto} . ${p.hostPort} : ${p.ip} . ${p.containerPort}`);
  const ipEl = st.ports
    .filter((p) => p.hostIp && p.hostIp !== '0.0.0.0')
    .map((p) => `${p.hostIp} . ${p.proto} . ${p.hostPort} : ${p.ip} . ${p.containerPort}`);
  const els = (a: string[]) => (a.length ? ` elements = { ${a.join(', ')} }` : '');
  const dnat = [
    'fib daddr type local dnat ip to meta l4proto . th dport map @ports_any',
    'fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip',
  ];
  const post: string[] = ['ct status dnat ip saddr 127.0.0.0/8 masquerade'];
  const fwd: string[] = ['ct state established,related accept'];
  const input: string[] = ['ct state established,related accept'];
  // icc=false: frames between two ports of one bridge never reach the ip family's forward
  // hook unless br_netfilter is loaded, so they are dropped in a bridge-family table too.
  const bridged: string[] = [];
  for (const n of st.networks) {
    // Hairpin: a container reaching its own network's published port on a host address.
    post.push(`ct status dnat iifname ${q(n.bridge)} oifname ${q(n.bridge)} masquerade`);
    if (!n.icc) {
      fwd.push(`iifname ${q(n.bridge)} oifname ${q(n.bridge)} drop`);
      // (by subnet: this kernel has no `meta ibrname`; our subnets never overlap)
      bridged.push(`ip saddr ${n.subnet} ip daddr ${n.subnet} drop`);
    }
    if (n.internal) {
      fwd.push(
        `iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`,
        `oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`,
      );
      // The host's other addresses are off limits too; its gateway (our DNS) is not.
      input.push(`iifname ${q(n.bridge)} ${n.gateway ? `ip daddr != ${n.gateway} ` : ''}drop`);
      continue;
    }
    if (st.masquerade) post.push(`ip saddr ${n.subnet} oifname != ${q(n.bridge)} masquerade`);
  }
  return [
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `  map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service;${els(anyEl)} }`,
    `  map ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service;${els(ipEl)} }`,
    `  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n    ${dnat.join('\n    ')}\n  }`,
    `  chain output { type nat hook output priority -100; policy accept;\n    ${dnat.join('\n    ')}\n  }`,
    `  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n    ${post.join('\n    ')}\n  }`,
    `  chain forward { type filter hook forward priority filter; policy accept;\n    ${fwd.join('\n    ')}\n  }`,
    `  chain input { type filter hook input priority filter; policy accept;\n    ${input.join('\n    ')}\n  }`,
    '}',
    `table bridge ${table}`,
    `delete table bridge ${table}`,
    `table bridge ${table} {`,
    `  chain forward { type filter hook forward priority filter; policy accept;${bridged.map((r) => `\n    ${r}`).join('')}\n  }`,
    '}',
    '',
  ].join('\n');
}

/** Replaces the table atomically; a rule that cannot be installed is an error. */
export async function applyTable(table: string, st: FirewallState): Promise<void> {
  await run(NFT, ['-f', '-'], { input: renderTable(table, st), timeoutMs: 10_000 });
}

export async function deleteTable(table: string): Promise<void> {
  await run(NFT, ['delete', 'table', 'ip', table], { allowFail: true });
  await run(NFT, ['delete', 'table', 'bridge', table], { allowFail: true });
}

export async function listTable(table: string): Promise<string> {
  return (await run(NFT, ['list', 'table', 'ip', table], { allowFail: true })).stdout.toString();
}
