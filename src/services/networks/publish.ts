// Published ports: `PortBindings` and `-P` (every ExposedPorts entry) become port
// mappings; empty host ports get one from the ephemeral range. A host port that we or
// another program already hold is Docker's "port is already allocated" error. An empty
// host address means both families (0.0.0.0 and [::]), `0.0.0.0` IPv4 only, `::` IPv6 only.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type { HostConfig } from '../../api/types/containers.ts';
import type { PortSet } from '../../api/types/networks.ts';
import type { PortMapping } from '../../network/store.ts';
import { canonical, parseAddr } from '../../network/cidr.ts';

const EPHEMERAL = [32768, 60999] as const;

/** `80/tcp` → [80, 'tcp']; Docker's message for anything else. */
export function parsePortKey(key: string): { port: number; proto: 'tcp' | 'udp' } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
  const port = m ? Number(m[1]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw invalidArgument(`invalid port specification: "${key.split('/')[0]}"`);
  if (m[2] === 'sctp') throw invalidArgument('sctp ports are not supported by this engine');
  return { port, proto: (m[2] ?? 'tcp') as 'tcp' | 'udp' };
}

/** Checks PortBindings/ExposedPorts at create (400s with Docker's messages). */
export function validatePorts(hc: HostConfig, exposed: PortSet | undefined): void {
  for (const k of Object.keys(exposed ?? {})) parsePortKey(k);
  for (const [k, bs] of Object.entries(hc.PortBindings ?? {})) {
    parsePortKey(k);
    for (const b of bs ?? []) {
      const hp = b.HostPort ?? '';
      if (hp !== '' && !/^\d+(-\d+)?$/.test(hp)) throw invalidArgument(`invalid port specification: "${hp}"`);
      for (const p of hp.split('-'))
        if (hp !== '' && !(Number(p) >= 1 && Number(p) <= 65535))
          throw invalidArgument(`invalid port specification: "${hp}"`);
      if (b.HostIp && !parseAddr(b.HostIp.replace(/^\[(.*)\]$/, '$1')))
        throw invalidArgument(`invalid IP address: ${b.HostIp}`);
    }
  }
}

function isFreeOn(proto: 'tcp' | 'udp', ip: string, port: number): Promise<boolean> {
  const v6 = ip.includes(':');
  // Taken means in use (or not ours to take); a host without IPv6 cannot bind [::] at all,
  // which leaves the port free for the IPv4 side.
  const taken = (err: NodeJS.ErrnoException) =>
    !(ip === '::' && ['EAFNOSUPPORT', 'EADDRNOTAVAIL'].includes(err.code ?? ''));
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
      s.once('error', (err) => {
        s.close();
        resolve(!taken(err));
      });
      s.bind(port, ip, () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', (err) => resolve(!taken(err)));
    srv.listen({ port, host: ip, exclusive: true, ipv6Only: v6 }, () => srv.close(() => resolve(true)));
  });
}

/** Free on every address the binding covers ('' is both wildcards). */
async function isFree(proto: 'tcp' | 'udp', ip: string, port: number): Promise<boolean> {
  for (const a of ip ? [ip] : ['0.0.0.0', '::']) if (!(await isFreeOn(proto, a, port))) return false;
  return true;
}

const familyOf = (ip: string) => (ip === '' ? 0 : ip.includes(':') ? 6 : 4);

/** Whether two host addresses of one port overlap ('' is both families' wildcards). */
function sameSocket(a: string, b: string): boolean {
  if (a === '' || b === '') return true;
  if (familyOf(a) !== familyOf(b)) return false;
  return a === b || a === '0.0.0.0' || b === '0.0.0.0' || a === '::' || b === '::';
}

const show = (ip: string, port: number | string) =>
  ip.includes(':') ? `[${ip}]:${port}` : `${ip || '0.0.0.0'}:${port}`;

/** Resolves the container's bindings against what is in use (`taken`: ours). */
export async function allocatePorts(
  hc: HostConfig,
  exposed: PortSet | undefined,
  taken: PortMapping[],
  /** The network's com.docker.network.bridge.host_binding_ipv4: where an empty HostIp binds. */
  hostBinding?: string,
): Promise<PortMapping[]> {
  const wanted: { proto: 'tcp' | 'udp'; containerPort: number; hostIp: string; hostPort: string }[] = [];
  for (const [k, bs] of Object.entries(hc.PortBindings ?? {})) {
    const { port, proto } = parsePortKey(k);
    for (const b of bs ?? [{}])
      wanted.push({ proto, containerPort: port, hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' });
  }
  if (hc.PublishAllPorts) {
    for (const k of Object.keys(exposed ?? {})) {
      const { port, proto } = parsePortKey(k);
      if (!wanted.some((w) => w.proto === proto && w.containerPort === port))
        wanted.push({ proto, containerPort: port, hostIp: '', hostPort: '' });
    }
  }
  const out: PortMapping[] = [];
  const clash = (proto: string, ip: string, port: number) =>
    [...taken, ...out].some((t) => t.proto === proto && t.hostPort === port && sameSocket(t.hostIp, ip));
  const defaultIp = hostBinding && hostBinding !== '0.0.0.0' ? canonical(hostBinding) : undefined;
  for (const w of wanted) {
    const given = canonical(w.hostIp.replace(/^\[(.*)\]$/, '$1')) ?? '';
    const hostIp = given || defaultIp || '';
    let [lo, hi] = w.hostPort === '' ? EPHEMERAL : (w.hostPort.split('-').map(Number) as [number, number?]);
    hi ??= lo;
    let got = 0;
    const span = hi - lo + 1;
    const start = w.hostPort === '' ? Math.floor(Math.random() * span) : 0;
    for (let i = 0; i < span && !got; i++) {
      const p = lo + ((start + i) % span);
      if (!clash(w.proto, hostIp, p) && (await isFree(w.proto, hostIp, p))) got = p;
    }
    if (!got) throw conflict(`Bind for ${show(hostIp, w.hostPort || lo)} failed: port is already allocated`);
    out.push({ proto: w.proto, hostIp, hostPort: got, containerPort: w.containerPort });
  }
  return out;
}
