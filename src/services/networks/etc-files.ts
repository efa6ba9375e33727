// /etc/hosts and /etc/resolv.conf of a container on a network, written before its task
// starts (in place: they are bind-mounted). User-defined networks point resolv.conf at
// our DNS server on the gateway; the default bridge keeps the host's resolvers.
import { constants } from 'node:fs';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../common/logger.ts';
import type { Container } from '../../containers/store.ts';
import { DEFAULT_HOSTS, extraHostLines, filterResolvConf, hostsPath, resolvConfPath } from '../containers/files.ts';
import type { NetworkDeps } from './deps.ts';

export interface EtcInput {
  dir: string;
  c: Container;
  /** The container's addresses (IPv4, then IPv6) on its first network, if any. */
  ips: string[];
  /** Our DNS server for it (user-defined networks), else undefined. */
  dnsServer?: string;
  /** host-gateway's address: the default bridge's gateway. */
  hostGateway: string;
  /** `--link` entries resolved: alias → address and name. */
  links: { ip: string; alias: string; name: string }[];
}

/** The container's own line for one of its addresses. */
export function hostEntry(c: Container, ip: string): string {
  const cfg = c.record.config;
  const host = cfg.Hostname ?? '';
  return `${ip}\t${cfg.Domainname ? `${host}.${cfg.Domainname} ${host}` : host}`;
}

/** The largest /etc/hosts berthd reads back: the container can write anything into it. */
export const MAX_HOSTS_FILE = 1 << 20;

/** At most `max` bytes from the start of a file a container can write ('' if it is gone or no file). */
async function readHead(path: string, max: number): Promise<string> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return '';
  }
  try {
    if (!(await fh.stat()).isFile()) return '';
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * `network connect/disconnect` on a running container: adds or drops its own line for
 * that address, keeping everything else (links, --add-host, the user's edits). Written
 * in place, never renamed over: the file is bind-mounted into the container. The file is
 * the container's to write, so it is read only up to MAX_HOSTS_FILE: a larger one gets
 * the new line appended (nothing is read) or keeps the old one, with a warning.
 */
export async function updateHosts(
  dir: string,
  c: Container,
  change: { add?: string[]; remove?: string[] },
  log?: Logger,
): Promise<void> {
  const path = hostsPath(dir);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDWR | constants.O_NOFOLLOW);
  } catch {
    return; // gone, or not ours to follow
  }
  let text: string;
  try {
    const st = await fh.stat();
    if (!st.isFile()) return;
    if (st.size > MAX_HOSTS_FILE) {
      log?.warn(`the container's hosts file is larger than ${MAX_HOSTS_FILE} bytes: not read`, {
        container: c.record.id,
        size: st.size,
        ...(change.add?.length
          ? { appended: change.add.map((ip) => hostEntry(c, ip)) }
          : { kept: (change.remove ?? []).map((ip) => hostEntry(c, ip)) }),
      });
      if (change.add?.length) await fh.write(`\n${change.add.map((ip) => hostEntry(c, ip)).join('\n')}\n`, st.size);
      return;
    }
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    text = buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
  let lines = text.split('\n').filter((l, k, a) => l !== '' || k < a.length - 1);
  const drop = new Set((change.remove ?? []).map((ip) => hostEntry(c, ip)));
  lines = lines.filter((l) => !drop.has(l));
  for (const ip of change.add ?? []) if (!lines.includes(hostEntry(c, ip))) lines.push(hostEntry(c, ip));
  await writeFile(path, lines.join('\n') + '\n');
}

export async function writeEtcFiles(deps: NetworkDeps, i: EtcInput): Promise<void> {
  const hc = i.c.record.hostConfig;
  const lines = [...DEFAULT_HOSTS, ...extraHostLines(hc.ExtraHosts ?? [], i.hostGateway)];
  for (const l of i.links) lines.push(`${l.ip}\t${l.alias === l.name ? l.name : `${l.alias} ${l.name}`}`);
  for (const ip of i.ips) lines.push(hostEntry(i.c, ip));
  await writeFile(hostsPath(i.dir), lines.join('\n') + '\n');

  const out = await resolvConfText(deps, i.c, i.dnsServer);
  if (out !== undefined) await writeFile(resolvConfPath(i.dir), out);
}

/** resolv.conf for a container: our DNS server when it has one, else its or the daemon's servers. */
async function resolvConfText(deps: NetworkDeps, c: Container, dnsServer?: string): Promise<string | undefined> {
  const hc = c.record.hostConfig;
  const hostText = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const search = hc.DnsSearch?.length
    ? [`search ${hc.DnsSearch.join(' ')}`]
    : hostText.split('\n').filter((l) => /^\s*(search|domain)\s/.test(l));
  const opts = hc.DnsOptions?.length
    ? [`options ${hc.DnsOptions.join(' ')}`]
    : hostText.split('\n').filter((l) => /^\s*options\s/.test(l));
  if (dnsServer)
    return [...search, `nameserver ${dnsServer}`, ...(opts.length ? opts : ['options ndots:0'])].join('\n') + '\n';
  const servers = hc.Dns?.length ? hc.Dns : deps.settings.dns;
  if (!servers.length) return undefined; // the file written at create already is the host's, filtered
  const out = [...search, ...servers.map((s) => `nameserver ${s}`), ...opts].join('\n') + '\n';
  return hc.Dns?.length ? out : filterResolvConf(out);
}

/**
 * A running container joining a user-defined network gets our DNS server if it had none
 * (it started on the default bridge), as Docker switches it to its embedded resolver.
 * Written in place: the file is bind-mounted.
 */
export async function useOurDns(deps: NetworkDeps, dir: string, c: Container, dnsServer: string): Promise<void> {
  const ours = new Set(
    deps.store
      .networks()
      .filter((n) => n.driver === 'bridge' && !n.builtin && n.ipam)
      .map((n) => n.ipam!.gateway),
  );
  // The container can write its resolv.conf: only its head is read (nameservers come first).
  const now = await readHead(resolvConfPath(dir), MAX_HOSTS_FILE);
  // Line by line: a multiline /^\s*…/ over a file of blank lines backtracks quadratically.
  const servers = now
    .split('\n')
    .map((l) => /^[ \t]*nameserver[ \t]+(\S+)/.exec(l)?.[1])
    .filter((x) => x !== undefined);
  if (servers.some((s) => ours.has(s))) return;
  await writeFile(resolvConfPath(dir), (await resolvConfText(deps, c, dnsServer))!);
}
