// Connections the network drivers write to: TCP, TLS and unix streams with backpressure,
// UDP and unix datagrams. A stream write resolves once the bytes are handed to the socket
// and its buffer is below HIGH_WATER, so a server that stalls costs at most that much memory
// per container while the writer (and in blocking mode the container) waits. Dial errors
// read as Go's ("dial tcp 127.0.0.1:1: connect: connection refused"): users compare them
// with what dockerd says.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { invalidArgument } from '../common/errors.ts';
import { UnixDatagramSocket } from '../sys/unix-dgram.ts';

export const HIGH_WATER = 64 * 1024;
const DIAL_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2000;

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no such file or directory',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ECONNRESET: 'connection reset by peer',
  EACCES: 'permission denied',
  EPIPE: 'broken pipe',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EPROTOTYPE: 'protocol wrong type for socket',
};

/** Go's net.OpError text for a failed dial. */
export function dialError(proto: string, addr: string, err: unknown): Error {
  const code = (err as { code?: string }).code ?? '';
  const text = ERRNO_TEXT[code];
  if (text) return new Error(`dial ${proto} ${addr}: connect: ${text}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new Error(`dial ${proto} ${addr}: lookup ${addr.replace(/:\d+$/, '')}: no such host`);
  return new Error(`dial ${proto} ${addr}: ${(err as Error).message}`);
}

/** host:port → [host, port]; IPv6 in brackets. */
export function splitHostPort(hp: string): [string, number] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(hp) ?? /^([^:]*):(\d+)$/.exec(hp);
  if (!m) throw invalidArgument(`address ${hp}: missing port in address`);
  return [m[1], Number(m[2])];
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  skipVerify?: boolean;
}

/** Reads the TLS files at open time with go-connections' messages. */
export function tlsOptions(files: TlsFiles): tls.ConnectionOptions {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      throw invalidArgument(`could not read ${what} "${path}": open ${path}: ${ERRNO_TEXT[code] ?? code}`);
    }
  };
  const o: tls.ConnectionOptions = { rejectUnauthorized: !files.skipVerify };
  if (files.ca) o.ca = read(files.ca, 'CA certificate');
  if (files.cert || files.key) {
    if (!files.cert || !files.key) throw invalidArgument('both cert and key must be provided');
    o.cert = read(files.cert, 'X509 key pair cert');
    o.key = read(files.key, 'X509 key pair key');
  }
  return o;
}

export type StreamProto = 'tcp' | 'tls' | 'unix';

/** Opens one stream connection, failing like Go's Dial. */
export function dialStream(proto: StreamProto, addr: string, tlsOpts?: tls.ConnectionOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let sock: net.Socket;
    const goProto = proto === 'tls' ? 'tcp' : proto;
    if (proto === 'unix') {
      sock = net.connect({ path: addr });
    } else {
      const [host, port] = splitHostPort(addr);
      sock =
        proto === 'tls'
          ? tls.connect({ host, port, servername: isIP(host) ? undefined : host, ...tlsOpts })
          : net.connect({ host, port });
    }
    const timer = setTimeout(() => {
      sock.destroy();
      reject(dialError(goProto, addr, { code: 'ETIMEDOUT' }));
    }, DIAL_TIMEOUT_MS);
    const ok = () => {
      clearTimeout(timer);
      sock.off('error', fail);
      resolve(sock);
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      const code = (err as { code?: string }).code ?? '';
      if (proto === 'tls' && !ERRNO_TEXT[code]) reject(new Error(`tls: ${err.message}`));
      else reject(dialError(goProto, addr, err));
    };
    sock.once(proto === 'tls' ? 'secureConnect' : 'connect', ok);
    sock.once('error', fail);
  });
}

/**
 * One stream connection that can be re-dialled. `write` resolves when the data is queued
 * and the socket's buffer is below HIGH_WATER (waiting for 'drain' otherwise); it rejects
 * when the connection is broken (the driver decides whether to reconnect and retry).
 */
export class StreamConn {
  readonly #dial: () => Promise<net.Socket>;
  #sock: net.Socket | undefined;
  #broken: Error | undefined;
  #closed = false;

  private constructor(dial: () => Promise<net.Socket>) {
    this.#dial = dial;
  }

  /** Dials once: a failure is the driver's open error (a container start's). */
  static async open(dial: () => Promise<net.Socket>): Promise<StreamConn> {
    const c = new StreamConn(dial);
    c.#attach(await dial());
    return c;
  }

  get connected(): boolean {
    return this.#sock !== undefined && !this.#broken;
  }

  #attach(sock: net.Socket): void {
    this.#sock = sock;
    this.#broken = undefined;
    sock.setNoDelay(true);
    // Servers do not talk back to these protocols (fluentd acks are read by the driver).
    sock.on('error', (err) => {
      this.#broken ??= err;
    });
    sock.on('close', () => {
      this.#broken ??= Object.assign(new Error('connection closed by the server'), { code: 'EPIPE' });
    });
  }

  /** Re-dials after a failure; throws the dial error. */
  async reconnect(): Promise<void> {
    if (this.#closed) throw new Error('connection closed');
    this.#sock?.destroy();
    this.#sock = undefined;
    this.#attach(await this.#dial());
  }

  get socket(): net.Socket | undefined {
    return this.#sock;
  }

  async write(data: Buffer): Promise<void> {
    const sock = this.#sock;
    if (!sock || this.#broken) throw this.#broken ?? new Error('not connected');
    await new Promise<void>((resolve, reject) => {
      const below = sock.write(data);
      if (below || sock.writableLength < HIGH_WATER) return resolve();
      const done = () => {
        sock.off('drain', done);
        sock.off('close', done);
        if (this.#broken) reject(this.#broken);
        else resolve();
      };
      sock.on('drain', done);
      sock.on('close', done);
    });
    if (this.#broken) throw this.#broken;
  }

  /** Ends the connection: queued data gets CLOSE_TIMEOUT_MS to go out. */
  async close(): Promise<void> {
    this.#closed = true;
    const sock = this.#sock;
    this.#sock = undefined;
    if (!sock || sock.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sock.destroy();
        resolve();
      }, CLOSE_TIMEOUT_MS);
      sock.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      sock.end();
    });
  }
}

/** A connected UDP socket (Go's net.Dial("udp", …)): a send error is reported, never thrown. */
export async function dialUdp(addr: string): Promise<{ send(b: Buffer): Promise<void>; close(): void }> {
  const [host, port] = splitHostPort(addr);
  const sock = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  sock.on('error', () => {}); // ICMP unreachable and the like: a datagram lost
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (err) => reject(dialError('udp', addr, err)));
    sock.connect(port, host, () => resolve());
  });
  return {
    send: (b) => new Promise<void>((resolve, reject) => sock.send(b, (err) => (err ? reject(err) : resolve()))),
    close: () => sock.close(),
  };
}

/** A connected unix datagram socket, with Go's dial error text. */
export function dialUnixgram(path: string): UnixDatagramSocket {
  try {
    return new UnixDatagramSocket(path);
  } catch (err) {
    throw dialError('unixgram', path, err);
  }
}
