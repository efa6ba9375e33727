// Published ports: `PortBindings` and `-P` (every ExposedPorts entry) become port
// mappings; empty host ports get one from the ephemeral range. A host port that we or
// another program already hold is Docker's "port is already allocated" error.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type { HostConfig } from '../../api/types/containers.ts';
import type { PortSet } from '../../api/types/networks.ts';
import type { PortMapping } from '../../network/store.ts';

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
      if (b.HostIp && !/^[\d.]+$/.test(b.HostIp)) throw invalidArgument(`invalid IP address: ${b.HostIp}`);
    }
  }
}

function isFree(proto: 'tcp' | 'udp', ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(port, ip || '0.0.0.0', () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: ip || '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Resolves the container's bindings against what is in use (`taken`: ours). */
export async function allocatePorts(
  hc: HostConfig,
  exposed: PortSet | undefined,
  taken: PortMapping[],
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
    [...taken, ...out].some(
      (t) =>
        t.proto === proto &&
        t.hostPort === port &&
        (!t.hostIp || !ip || t.hostIp === '0.0.0.0' || ip === '0.0.0.0' || t.hostIp === ip),
    );
  for (const w of wanted) {
    const hostIp = w.hostIp === '0.0.0.0' ? '' : w.hostIp;
    let [lo, hi] = w.hostPort === '' ? EPHEMERAL : (w.hostPort.split('-').map(Number) as [number, number?]);
    hi ??= lo;
    let got = 0;
    const span = hi - lo + 1;
    const start = w.hostPort === '' ? Math.floor(Math.random() * span) : 0;
    for (let i = 0; i < span && !got; i++) {
      const p = lo + ((start + i) % span);
      if (!clash(w.proto, hostIp, p) && (await isFree(w.proto, hostIp, p))) got = p;
    }
    if (!got) throw conflict(`Bind for ${hostIp || '0.0.0.0'}:${w.hostPort || lo} failed: port is already allocated`);
    out.push({ proto: w.proto, hostIp, hostPort: got, containerPort: w.containerPort });
  }
  return out;
}
