// Which endpoints serve a registry name: mirrors for docker.io, HTTPS with the host's
// certs.d CA, and for insecure registries (listed, or loopback as Docker does) HTTPS
// without verification then plain HTTP. The first endpoint that answers /v2/ is kept
// for a while so each pull does not probe again.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { unavailable } from '../common/errors.ts';
import { DEFAULT_DOMAIN } from '../common/reference.ts';
import type { Credentials } from './auth.ts';
import { RegistryClient, type Endpoint } from './client.ts';
import { send, type TlsSettings } from './transport.ts';

export interface RegistrySettings {
  /** host[:port] or CIDR ranges (insecure-registries). */
  insecure: string[];
  /** Mirror URLs for docker.io (registry-mirrors). */
  mirrors: string[];
  /** Directories holding <host:port>/ca.crt (and client.cert/client.key). */
  certsDirs: string[];
}

export const DOCKER_HUB_HOST = 'registry-1.docker.io';
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsStr] = cidr.split('/');
  if (isIP(ip) !== 4 || isIP(net) !== 4) return false;
  const bits = Number(bitsStr);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

export function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  return hostPort.replace(/:\d+$/, '');
}

export function isInsecure(hostPort: string, s: RegistrySettings): boolean {
  const host = hostOnly(hostPort);
  if (host === 'localhost' || host === '::1' || inCidr(host, '127.0.0.0/8')) return true;
  return s.insecure.some((e) => e === hostPort || e === host || (e.includes('/') && inCidr(host, e)));
}

async function tlsFor(hostPort: string, s: RegistrySettings): Promise<TlsSettings> {
  const tls: TlsSettings = { ca: [] };
  for (const dir of s.certsDirs) {
    const d = join(dir, hostPort);
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      if (n.endsWith('.crt') && !n.endsWith('.cert')) tls.ca!.push(await readFile(join(d, n), 'utf8'));
      else if (n.endsWith('.cert')) tls.cert = await readFile(join(d, n), 'utf8');
      else if (n.endsWith('.key')) tls.key = await readFile(join(d, n), 'utf8');
    }
  }
  return tls;
}

/** Candidate endpoints in the order Docker tries them. */
export async function endpointsFor(domain: string, s: RegistrySettings, forPush = false): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  if (domain === DEFAULT_DOMAIN) {
    if (!forPush)
      for (const m of s.mirrors)
        out.push({
          base: m.replace(/\/+$/, ''),
          name: new URL(m).host,
          mirror: true,
          tls: await tlsFor(new URL(m).host, s),
        });
    out.push({ base: `https://${DOCKER_HUB_HOST}`, name: DEFAULT_DOMAIN, tls: await tlsFor(DOCKER_HUB_HOST, s) });
    return out;
  }
  const tls = await tlsFor(domain, s);
  out.push({ base: `https://${domain}`, name: domain, tls });
  if (isInsecure(domain, s)) {
    out.push({ base: `https://${domain}`, name: domain, tls: { ...tls, skipVerify: true } });
    out.push({ base: `http://${domain}`, name: domain });
  }
  return out;
}

const working = new Map<string, { ep: Endpoint; until: number }>();
const REMEMBER_MS = 60_000;

/** A client for the first endpoint that answers /v2/ (any status below 500 counts). */
export async function connect(
  domain: string,
  s: RegistrySettings,
  creds: Credentials | undefined,
  o: { signal?: AbortSignal; forPush?: boolean } = {},
): Promise<RegistryClient[]> {
  const eps = await endpointsFor(domain, s, o.forPush);
  const key = JSON.stringify([domain, o.forPush ?? false]);
  const known = working.get(key);
  if (known && known.until > Date.now()) return [new RegistryClient(known.ep, creds)];
  const clients: RegistryClient[] = [];
  const errors: string[] = [];
  let primaryFound = false;
  const primaries = eps.filter((e) => !e.mirror).length;
  for (const ep of eps) {
    if (primaryFound && !ep.mirror) continue;
    // A mirror answered: the one primary is a fallback, not contacted unless a mirror fails.
    if (!ep.mirror && clients.length && primaries === 1) {
      clients.push(new RegistryClient(ep, creds));
      break;
    }
    try {
      const res = await send({
        method: 'GET',
        url: `${ep.base}/v2/`,
        signal: o.signal,
        tls: ep.tls,
        timeoutMs: 15_000,
      });
      res.body.resume();
      if (res.status >= 500) throw new Error(`status ${res.status}`);
      clients.push(new RegistryClient(ep, creds));
      if (!ep.mirror) {
        primaryFound = true;
        working.set(key, { ep, until: Date.now() + REMEMBER_MS });
      }
    } catch (err) {
      o.signal?.throwIfAborted();
      errors.push(`${ep.base}: ${(err as Error).message}`);
    }
  }
  if (!clients.length)
    throw unavailable(`Error response from registry ${domain}: cannot reach it (${errors.join('; ')})`);
  return clients;
}
