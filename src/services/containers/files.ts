// The per-container files bind-mounted into the task: /etc/hostname, /etc/hosts,
// /etc/resolv.conf. Written at create; networking will rewrite hosts and resolv.conf.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const hostnamePath = (dir: string) => join(dir, 'hostname');
export const hostsPath = (dir: string) => join(dir, 'hosts');
export const resolvConfPath = (dir: string) => join(dir, 'resolv.conf');

/** The lines every container's /etc/hosts starts with. */
export const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** `--add-host name:ip` as hosts lines; `host-gateway` becomes the given address when known. */
export function extraHostLines(extra: readonly string[], hostGateway?: string): string[] {
  const out: string[] = [];
  for (const h of extra) {
    const at = h.indexOf(':');
    if (at <= 0) continue;
    const ip = h.slice(at + 1);
    out.push(`${ip === 'host-gateway' && hostGateway ? hostGateway : ip}\t${h.slice(0, at)}`);
  }
  return out;
}

/** The host's resolv.conf without loopback resolvers, which a container cannot reach. */
export function filterResolvConf(text: string): string {
  const lines = text.split('\n').filter((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return !m || !(m[1].startsWith('127.') || m[1] === '::1');
  });
  let out = lines.join('\n').replace(/\n{3,}/g, '\n\n');
  if (!/^\s*nameserver\s/m.test(out)) {
    // Docker's fallback when nothing usable is left.
    out = out.trimEnd() + (out.trim() ? '\n' : '') + '\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n';
  }
  return out.endsWith('\n') ? out : out + '\n';
}

export interface HostFilesOptions {
  dir: string;
  hostname: string;
  domainname?: string;
  networkMode: string;
  extraHosts?: readonly string[];
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
}

async function hostFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

// Plain writes: these files are derived data (rewritten from the record whenever needed)
// and, once bind-mounted, must be updated in place rather than replaced by a rename.
export async function writeHostFiles(o: HostFilesOptions): Promise<void> {
  const host = o.networkMode === 'host';
  await writeFile(hostnamePath(o.dir), `${o.hostname}\n`);
  let hosts: string;
  if (host) {
    hosts = await hostFile('/etc/hosts');
  } else {
    hosts = DEFAULT_HOSTS.join('\n') + '\n';
  }
  for (const line of extraHostLines(o.extraHosts ?? [])) hosts += line + '\n';
  await writeFile(hostsPath(o.dir), hosts);
  let resolv = host ? await hostFile('/etc/resolv.conf') : filterResolvConf(await hostFile('/etc/resolv.conf'));
  if (o.dns?.length || o.dnsSearch?.length || o.dnsOptions?.length) {
    const keep = resolv
      .split('\n')
      .filter(
        (l) =>
          !(o.dns?.length && /^\s*nameserver\s/.test(l)) &&
          !(o.dnsSearch?.length && /^\s*(search|domain)\s/.test(l)) &&
          !(o.dnsOptions?.length && /^\s*options\s/.test(l)),
      );
    const add: string[] = [];
    if (o.dnsSearch?.length) add.push(`search ${o.dnsSearch.join(' ')}`);
    for (const ns of o.dns ?? []) add.push(`nameserver ${ns}`);
    if (o.dnsOptions?.length) add.push(`options ${o.dnsOptions.join(' ')}`);
    resolv = [...keep.filter((l) => l.trim() !== ''), ...add].join('\n') + '\n';
  }
  await writeFile(resolvConfPath(o.dir), resolv);
}
