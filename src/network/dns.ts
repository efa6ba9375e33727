// The embedded DNS server of user-defined networks: a UDP socket and a TCP listener on
// each network's gateway address, answering A and PTR for names on that network and
// forwarding everything else, verbatim, to the upstream resolvers (tried in order; over
// TCP when the client asked over TCP or the UDP answer came back truncated).
import { createSocket, type Socket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket as TcpSocket } from 'node:net';

export interface DnsBackend {
  /** Addresses (IPv4 and IPv6) for a name asked by `client` on a network (empty: not ours, forward). */
  lookup(network: string, name: string, client: string): string[];
  /** The name for an address on a network, for PTR. */
  reverse(network: string, ptr: string): string | undefined;
  /** Where to forward for the client at `client` (its --dns, the daemon's, the host's). */
  upstreams(network: string, client: string): string[];
}

interface Question {
  name: string;
  type: number;
  end: number;
}

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
  const parts = name
    .split('.')
    .filter(Boolean)
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
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

/**
 * What one client (a container's address on a network) may hold of berthd at a time: TCP
 * connections, and queries being forwarded (each holds a socket upstream). Beyond that a
 * connection is refused and a query dropped — the container's resolver retries — so no
 * container can spend berthd's file descriptors.
 */
export const PER_CLIENT = { tcpConnections: 16, forwards: 64 };

class ClientBudget {
  private readonly used = new Map<string, number>();
  private readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }
  /** Takes one unit; false when the client has none left. */
  take(key: string): boolean {
    const n = this.used.get(key) ?? 0;
    if (n >= this.cap) return false;
    this.used.set(key, n + 1);
    return true;
  }
  give(key: string): void {
    const n = (this.used.get(key) ?? 1) - 1;
    if (n <= 0) this.used.delete(key);
    else this.used.set(key, n);
  }
}

export class DnsServer {
  private readonly sockets = new Map<string, { udp: Socket; tcp: Server }>();
  private readonly backend: DnsBackend;
  private readonly connections = new ClientBudget(PER_CLIENT.tcpConnections);
  private readonly forwards = new ClientBudget(PER_CLIENT.forwards);
  constructor(backend: DnsBackend) {
    this.backend = backend;
  }

  /** Serves `network` on `ip`:53 over UDP and TCP; idempotent. */
  async listen(network: string, ip: string): Promise<void> {
    if (this.sockets.has(network)) return;
    const udp = createSocket({ type: 'udp4', reuseAddr: true });
    // A reply may come after the network's socket was closed: sending then is moot.
    udp.on('message', (msg, rinfo) => {
      void this.reply(network, msg, rinfo.address, false)
        .then((r) => {
          if (r) udp.send(r, rinfo.port, rinfo.address);
        })
        .catch(() => {});
    });
    udp.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(53, ip, () => resolve());
    });
    const tcp = createServer((c) => this.serveTcp(network, c));
    tcp.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(53, ip, () => resolve());
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    this.sockets.set(network, { udp, tcp });
  }

  close(network: string): void {
    const s = this.sockets.get(network);
    s?.udp.close();
    s?.tcp.close();
    this.sockets.delete(network);
  }

  closeAll(): void {
    for (const n of [...this.sockets.keys()]) this.close(n);
  }

  /** DNS over TCP: messages framed by a 2-byte length, several per connection. */
  private serveTcp(network: string, c: TcpSocket): void {
    const client = `${network}|${c.remoteAddress ?? ''}`;
    if (!this.connections.take(client)) {
      c.destroy();
      return;
    }
    c.once('close', () => this.connections.give(client));
    let buf = Buffer.alloc(0);
    c.setTimeout(10_000, () => c.destroy());
    c.on('error', () => {});
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.reply(network, msg, c.remoteAddress ?? '', true)
          .then((r) => {
            if (r && !c.destroyed) c.write(frame(r));
          })
          .catch(() => {});
      }
    });
  }

  private async reply(network: string, msg: Buffer, addr: string, tcp: boolean): Promise<Buffer | undefined> {
    const q = readQuestion(msg);
    if (!q) return undefined;
    if (q.type === 1 || q.type === 28) {
      const ips = this.backend.lookup(network, q.name, addr);
      if (ips.length) {
        // Ours: A and AAAA from the addresses of that family; none of it is an empty
        // NOERROR, so a client asking AAAA for an IPv4-only container falls back to A.
        const recs =
          q.type === 1
            ? ips.filter((ip) => !ip.includes(':')).map((ip) => rr(1, Buffer.from(ip.split('.').map(Number))))
            : ips.filter((ip) => ip.includes(':')).map((ip) => rr(28, v6Bytes(ip)));
        return answer(msg, q, recs);
      }
    }
    if (q.type === 12) {
      const name = this.backend.reverse(network, q.name);
      if (name) return answer(msg, q, [rr(12, encodeName(name))]);
    }
    const client = `${network}|${addr}`;
    if (!this.forwards.take(client)) return undefined; // dropped: the client retries later
    try {
      const reply = await forward(msg, this.backend.upstreams(network, addr), tcp);
      return reply ?? answer(msg, q, [], 2); // SERVFAIL when no upstream answered
    } finally {
      this.forwards.give(client);
    }
  }
}

/** The 16 bytes of an IPv6 address in canonical text (no embedded IPv4). */
function v6Bytes(ip: string): Buffer {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) b.writeUInt16BE(parseInt(g, 16), i * 2);
  return b;
}

const frame = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
const truncated = (m: Buffer) => m.length >= 3 && (m[2] & 0x02) !== 0;

async function forward(msg: Buffer, upstreams: string[], tcp: boolean): Promise<Buffer | undefined> {
  for (const u of upstreams) {
    const [host, p] = u.includes(':') && !u.includes('::') ? u.split(':') : [u, '53'];
    let reply = tcp ? undefined : await forwardUdp(msg, host, Number(p));
    if (tcp || (reply && truncated(reply))) reply = (await forwardTcp(msg, host, Number(p))) ?? reply;
    if (reply) return reply;
  }
  return undefined;
}

function forwardUdp(msg: Buffer, host: string, port: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const c = createSocket('udp4');
    const t = setTimeout(() => {
      c.close();
      resolve(undefined);
    }, 3000);
    c.on('error', () => {
      clearTimeout(t);
      c.close();
      resolve(undefined);
    });
    c.on('message', (m) => {
      clearTimeout(t);
      c.close();
      resolve(m);
    });
    c.send(msg, port, host);
  });
}

function forwardTcp(msg: Buffer, host: string, port: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const c = createConnection({ host, port });
    const done = (r: Buffer | undefined) => {
      c.destroy();
      resolve(r);
    };
    c.setTimeout(3000, () => done(undefined));
    c.on('error', () => done(undefined));
    c.on('connect', () => c.write(frame(msg)));
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    c.on('end', () => done(undefined));
  });
}
