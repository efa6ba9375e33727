// Log servers the logging-driver tests start on loopback (or on unix sockets in their temp
// directory): syslog over UDP, TCP, TLS, unix stream and unix datagram; fluentd's forward
// protocol (msgpack, optional acks); GELF over UDP (chunked, compressed) and TCP.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../../src/logs/msgpack.ts';

export async function waitUntil(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface UdpServer {
  port: number;
  datagrams: Buffer[];
  close(): Promise<void>;
}

export async function udpServer(): Promise<UdpServer> {
  const s = dgram.createSocket('udp4');
  const datagrams: Buffer[] = [];
  s.on('message', (m) => datagrams.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, datagrams, close: () => new Promise((r) => s.close(() => r())) };
}

export interface StreamServer {
  port: number;
  path?: string;
  /** Everything received, per connection, in order. */
  conns: Buffer[][];
  all(): Buffer;
  /** Stops reading from every connection (the server stalls); resume() reads again. */
  pause(): void;
  resume(): void;
  sockets: net.Socket[];
  close(): Promise<void>;
}

function streamServer(make: (onConn: (s: net.Socket) => void) => net.Server): Promise<StreamServer> {
  const conns: Buffer[][] = [];
  const sockets: net.Socket[] = [];
  let paused = false;
  const server = make((sock) => {
    const chunks: Buffer[] = [];
    conns.push(chunks);
    sockets.push(sock);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => {});
    if (paused) sock.pause();
  });
  const api: Omit<StreamServer, 'port'> = {
    conns,
    sockets,
    all: () => Buffer.concat(conns.flat()),
    pause() {
      paused = true;
      for (const s of sockets) s.pause();
    },
    resume() {
      paused = false;
      for (const s of sockets) s.resume();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return new Promise<StreamServer>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ ...api, port: (server.address() as net.AddressInfo).port }));
  });
}

export function tcpServer(): Promise<StreamServer> {
  return streamServer((on) => net.createServer(on));
}

export function tlsServer(cert: { key: Buffer; cert: Buffer }): Promise<StreamServer> {
  return streamServer((on) => tls.createServer({ key: cert.key, cert: cert.cert }, on));
}

export async function unixStreamServer(path: string): Promise<StreamServer> {
  const conns: Buffer[][] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((sock) => {
    const chunks: Buffer[] = [];
    conns.push(chunks);
    sockets.push(sock);
    sock.on('data', (c: Buffer) => chunks.push(c));
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  return {
    port: 0,
    path,
    conns,
    sockets,
    all: () => Buffer.concat(conns.flat()),
    pause: () => {
      for (const s of sockets) s.pause();
    },
    resume: () => {
      for (const s of sockets) s.resume();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A unix datagram server (Node has none): a python child printing each datagram in base64. */
export async function unixgramServer(path: string): Promise<{ datagrams: Buffer[]; close(): Promise<void> }> {
  const py = `
import socket, base64, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
print('ready', flush=True)
while True:
    d = s.recv(1 << 20)
    print(base64.b64encode(d).decode(), flush=True)
`;
  const child = spawn('/usr/bin/python3', ['-c', py, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const datagrams: Buffer[] = [];
  let buf = '';
  let ready!: () => void;
  const up = new Promise<void>((r) => (ready = r));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    buf += c;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (l === 'ready') ready();
      else if (l) datagrams.push(Buffer.from(l, 'base64'));
      nl = buf.indexOf('\n');
    }
  });
  await up;
  return {
    datagrams,
    close: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

export interface FluentMessage {
  tag: string;
  time: unknown;
  record: Record<string, string>;
  option: Record<string, string>;
}

/** fluentd's forward protocol, Message mode; answers {ack} when asked and `ack` is on. */
export async function fluentServer(opts: { ack?: boolean } = {}): Promise<{
  port: number;
  messages: FluentMessage[];
  close(): Promise<void>;
}> {
  const messages: FluentMessage[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((sock) => {
    sockets.push(sock);
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const v = decode(buf);
        if (!v) break;
        buf = buf.subarray(v[1]);
        const [tag, time, record, option] = v[0] as [string, unknown, Record<string, string>, Record<string, string>];
        messages.push({ tag, time, record, option: option ?? {} });
        if (opts.ack && option?.chunk) {
          const chunk = Buffer.from(option.chunk);
          // {"ack": chunk} as msgpack: fixmap(1), fixstr "ack", str8 chunk.
          sock.write(
            Buffer.concat([Buffer.from([0x81, 0xa3]), Buffer.from('ack'), Buffer.from([0xd9, chunk.length]), chunk]),
          );
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** GELF over UDP: chunks reassembled, gzip/zlib/plain told apart by their first bytes. */
export async function gelfUdpServer(): Promise<{
  port: number;
  messages: Record<string, any>[];
  raw: Buffer[];
  close(): Promise<void>;
}> {
  const u = await udpServer();
  const messages: Record<string, any>[] = [];
  const raw: Buffer[] = [];
  const partial = new Map<string, Buffer[]>();
  const inflate = (b: Buffer) =>
    b[0] === 0x1f && b[1] === 0x8b ? zlib.gunzipSync(b) : b[0] === 0x78 ? zlib.inflateSync(b) : b;
  const seen = { n: 0 };
  const timer = setInterval(() => {
    while (seen.n < u.datagrams.length) {
      const d = u.datagrams[seen.n++];
      raw.push(d);
      if (d[0] === 0x1e && d[1] === 0x0f) {
        const id = d.subarray(2, 10).toString('hex');
        const parts = partial.get(id) ?? new Array<Buffer>(d[11]);
        parts[d[10]] = d.subarray(12);
        partial.set(id, parts);
        if (parts.filter(Boolean).length === d[11]) {
          partial.delete(id);
          messages.push(JSON.parse(inflate(Buffer.concat(parts)).toString()));
        }
      } else messages.push(JSON.parse(inflate(d).toString()));
    }
  }, 10);
  return {
    port: u.port,
    messages,
    raw,
    close: async () => {
      clearInterval(timer);
      await u.close();
    },
  };
}

/** A self-signed certificate for 127.0.0.1 made by openssl in a temp directory. */
export function selfSignedCert(): { key: Buffer; cert: Buffer; certPath: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logtls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, 'key.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    certPath: join(dir, 'cert.pem'),
    dir,
  };
}
