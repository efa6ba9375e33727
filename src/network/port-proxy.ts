// Published ports the kernel cannot forward, relayed in berthd (Docker's userland proxy,
// without a process per port): [::1] (a loopback source is never routed out of a bridge,
// and IPv6 has no route_localnet) and IPv6 addresses of a container that has no IPv6
// address (no NAT64 in the kernel). Everything else is DNAT in our nftables tables.
// TCP connections are piped both ways; UDP keeps one upstream socket per client address,
// closed after a minute of silence. While berthd is stopped these ports do not answer.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server } from 'node:net';
import type { Logger } from '../common/logger.ts';
import type { EndpointRecord } from './store.ts';

export interface ProxySpec {
  proto: 'tcp' | 'udp';
  listenIp: string;
  port: number;
  targetIp: string;
  targetPort: number;
}

const key = (s: ProxySpec) => `${s.proto}|${s.listenIp}|${s.port}|${s.targetIp}|${s.targetPort}`;
const isV6 = (ip: string) => ip.includes(':');

/** The relays the endpoints' published ports need (see the file comment). */
export function proxiesFor(endpoints: EndpointRecord[]): ProxySpec[] {
  const out: ProxySpec[] = [];
  for (const e of endpoints)
    for (const p of e.ports) {
      if (p.hostIp !== '' && !isV6(p.hostIp)) continue;
      const base = { proto: p.proto, port: p.hostPort, targetPort: p.containerPort };
      if (e.ip6) {
        if (p.hostIp === '' || p.hostIp === '::' || p.hostIp === '::1')
          out.push({ ...base, listenIp: '::1', targetIp: e.ip6 });
      } else out.push({ ...base, listenIp: p.hostIp === '' ? '::' : p.hostIp, targetIp: e.ip });
    }
  return out;
}

const UDP_IDLE_MS = 60_000;
const UDP_MAX_FLOWS = 1024;

interface Running {
  close(): void;
}

function tcpRelay(s: ProxySpec, log: Logger): Promise<Running> {
  const srv: Server = createServer({ allowHalfOpen: true }, (client) => {
    const up = createConnection({ host: s.targetIp, port: s.targetPort, allowHalfOpen: true });
    const drop = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', drop);
    up.on('error', drop);
    client.pipe(up);
    up.pipe(client);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: s.listenIp, port: s.port, ipv6Only: isV6(s.listenIp), exclusive: true }, () => {
      srv.removeListener('error', reject);
      srv.on('error', (err) => log.warn('port proxy failed', { port: s.port, err }));
      resolve({ close: () => srv.close() });
    });
  });
}

function udpRelay(s: ProxySpec, log: Logger): Promise<Running> {
  const sock: UdpSocket = createSocket({ type: isV6(s.listenIp) ? 'udp6' : 'udp4', ipv6Only: isV6(s.listenIp) });
  const flows = new Map<string, { up: UdpSocket; timer: NodeJS.Timeout }>();
  const end = (k: string) => {
    const f = flows.get(k);
    if (!f) return;
    clearTimeout(f.timer);
    f.up.close();
    flows.delete(k);
  };
  sock.on('message', (msg, from) => {
    const k = `${from.address}|${from.port}`;
    let f = flows.get(k);
    if (!f) {
      if (flows.size >= UDP_MAX_FLOWS) return; // bounded: a flood of sources cannot grow us
      const up = createSocket(isV6(s.targetIp) ? 'udp6' : 'udp4');
      up.on('message', (reply) => {
        sock.send(reply, from.port, from.address);
        const g = flows.get(k);
        if (g) g.timer.refresh();
      });
      up.on('error', () => end(k));
      f = { up, timer: setTimeout(() => end(k), UDP_IDLE_MS) };
      f.timer.unref();
      flows.set(k, f);
    }
    f.timer.refresh();
    f.up.send(msg, s.targetPort, s.targetIp);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: s.listenIp, port: s.port, exclusive: true }, () => {
      sock.removeListener('error', reject);
      sock.on('error', (err) => log.warn('port proxy failed', { port: s.port, err }));
      resolve({
        close: () => {
          for (const k of [...flows.keys()]) end(k);
          sock.close();
        },
      });
    });
  });
}

export class PortProxies {
  private readonly running = new Map<string, Running>();
  private readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }

  /** Starts the relays wanted and not running, stops those no longer wanted. */
  async sync(wanted: ProxySpec[]): Promise<void> {
    const want = new Map(wanted.map((s) => [key(s), s]));
    for (const [k, r] of this.running)
      if (!want.has(k)) {
        r.close();
        this.running.delete(k);
      }
    for (const [k, s] of want) {
      if (this.running.has(k)) continue;
      try {
        this.running.set(k, await (s.proto === 'tcp' ? tcpRelay(s, this.log) : udpRelay(s, this.log)));
      } catch (err) {
        this.log.warn('cannot relay a published port', { proto: s.proto, address: s.listenIp, port: s.port, err });
      }
    }
  }

  closeAll(): void {
    for (const r of this.running.values()) r.close();
    this.running.clear();
  }
}
