// The embedded DNS server of user-defined networks: one UDP socket on each network's
// gateway address, answering A and PTR for names on that network and forwarding
// everything else, verbatim, to the upstream resolvers (tried in order).
import { createSocket, type Socket } from 'node:dgram';

export interface DnsBackend {
  /** Addresses for a name on a network (empty: not ours, forward). */
  lookup(network: string, name: string): string[];
  /** The name for an address on a network, for PTR. */
  reverse(network: string, ptr: string): string | undefined;
  /** Where to forward for the client at `client` (its --dns, the daemon's, the host's). */
  upstreams(network: string, client: string): string[];
}

interface Question { name: string; type: number; end: number }

function readQuestion(m: Buffer): Question | undefined {
  if (m.length < 12 || m.readUInt16BE(4) !== 1) return undefined;
  let o = 12;
  const labels: string[] = [];
  while (o < m.length) {
    const len = m[o++];
    if (len === 0) break;
    if (len > 63 || o + len > m.length) return undefined;
    labels.push(m.subarray(o, o + len).toString('latin1'));
    o += len;
  }
  if (o + 4 > m.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: m.readUInt16BE(o), end: o + 4 };
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function answer(query: Buffer, q: Question, records: Buffer[], rcode = 0): Buffer {
  const head = Buffer.from(query.subarray(0, q.end));
  head.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100) | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(records.length, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(0, 10);
  return Buffer.concat([head, ...records]);
}

function rr(type: number, rdata: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  h.writeUInt16BE(type, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt32BE(600, 6);
  h.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([h, rdata]);
}

export class DnsServer {
  private readonly sockets = new Map<string, Socket>();
  private readonly backend: DnsBackend;
  constructor(backend: DnsBackend) { this.backend = backend; }

  /** Serves `network` on `ip`:53; idempotent. */
  async listen(network: string, ip: string): Promise<void> {
    if (this.sockets.has(network)) return;
    const s = createSocket({ type: 'udp4', reuseAddr: true });
    // A reply may come after the network's socket was closed: sending then is moot.
    s.on('message', (msg, rinfo) => void this.handle(network, s, msg, rinfo.address, rinfo.port).catch(() => {}));
    s.on('error', () => {});
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(53, ip, () => resolve()); });
    this.sockets.set(network, s);
  }

  close(network: string): void {
    this.sockets.get(network)?.close();
    this.sockets.delete(network);
  }

  closeAll(): void { for (const n of [...this.sockets.keys()]) this.close(n); }

  private async handle(network: string, s: Socket, msg: Buffer, addr: string, port: number): Promise<void> {
    const q = readQuestion(msg);
    if (!q) return;
    if (q.type === 1 || q.type === 28) {
      const ips = this.backend.lookup(network, q.name);
      if (ips.length) {
        // Ours: A answers; AAAA gets an empty NOERROR so clients fall back to A.
        const recs = q.type === 1 ? ips.map((ip) => rr(1, Buffer.from(ip.split('.').map(Number)))) : [];
        s.send(answer(msg, q, recs), port, addr);
        return;
      }
    }
    if (q.type === 12) {
      const name = this.backend.reverse(network, q.name);
      if (name) { s.send(answer(msg, q, [rr(12, encodeName(name))]), port, addr); return; }
    }
    const reply = await forward(msg, this.backend.upstreams(network, addr));
    s.send(reply ?? answer(msg, q, [], 2), port, addr); // SERVFAIL when no upstream answered
  }
}

async function forward(msg: Buffer, upstreams: string[]): Promise<Buffer | undefined> {
  for (const u of upstreams) {
    const [host, p] = u.includes(':') && !u.includes('::') ? u.split(':') : [u, '53'];
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const c = createSocket('udp4');
      const t = setTimeout(() => { c.close(); resolve(undefined); }, 3000);
      c.on('error', () => { clearTimeout(t); c.close(); resolve(undefined); });
      c.on('message', (m) => { clearTimeout(t); c.close(); resolve(m); });
      c.send(msg, Number(p), host);
    });
    if (reply) return reply;
  }
  return undefined;
}
