// Raw hijacked connections for attach/exec tests: the upgraded (101) and the older plain
// (200) hijack, and a minimal websocket client for /attach/ws.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface Hijacked {
  socket: Socket;
  status: number;
  head: string;
  /** Everything received after the response head so far. */
  data(): Buffer;
  /** Resolves when the daemon ends or closes the stream. */
  ended: Promise<void>;
  waitFor(pred: (b: Buffer) => boolean, ms?: number): Promise<void>;
}

/** Sends a raw HTTP request on a unix socket and hands the connection over after the head. */
export function hijackRaw(
  socketPath: string,
  method: string,
  path: string,
  opts: { body?: unknown; upgrade?: 'tcp' | 'websocket' | false; headers?: Record<string, string> } = {},
): Promise<Hijacked> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
    const up = opts.upgrade ?? 'tcp';
    const hdr = [
      `${method} ${path} HTTP/1.1`,
      'Host: x',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...(body ? ['Content-Type: application/json'] : []),
      ...(up ? [`Connection: Upgrade`, `Upgrade: ${up}`] : []),
      ...Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(hdr.join('\r\n') + '\r\n\r\n' + body);
    let buf = Buffer.alloc(0);
    let headDone = false;
    let rest = Buffer.alloc(0);
    let waiters: (() => void)[] = [];
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    socket.on('data', (c: Buffer) => {
      if (headDone) {
        rest = Buffer.concat([rest, c]);
        for (const w of waiters) w();
        return;
      }
      buf = Buffer.concat([buf, c]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      headDone = true;
      const head = buf.subarray(0, i).toString();
      rest = buf.subarray(i + 4);
      const status = Number(/^HTTP\/1\.[01] (\d+)/.exec(head)?.[1] ?? 0);
      resolve({
        socket,
        status,
        head,
        ended,
        data: () => rest,
        // Waits on the data itself; `ms` is only an overall limit (generous: a loaded host
        // can take many seconds to start an exec). A stream that ends first fails at once.
        waitFor(pred, ms = 60_000) {
          return new Promise((res, rej) => {
            if (pred(rest)) return res();
            const fail = (why: string) => {
              clearTimeout(t);
              waiters = waiters.filter((x) => x !== w);
              rej(new Error(`${why}; got ${JSON.stringify(rest.toString().slice(-300))}`));
            };
            const t = setTimeout(() => fail(`timed out after ${ms} ms`), ms);
            const w = () => {
              if (pred(rest)) {
                clearTimeout(t);
                waiters = waiters.filter((x) => x !== w);
                res();
              }
            };
            void ended.then(() => {
              if (!pred(rest)) fail('the stream ended');
            });
            waiters.push(w);
          });
        },
      });
    });
    socket.on('end', () => resolveEnded());
    socket.on('close', () => resolveEnded());
    socket.on('error', (e) => {
      if (!headDone) reject(e);
      resolveEnded();
    });
  });
}

/** A masked client frame (RFC 6455). */
export function wsFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const n = payload.length;
  const head =
    n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n]) : Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff]);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/** Payloads of the server's (unmasked) frames in `buf`, with their opcodes. */
export function wsDecode(buf: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    let n = buf[i + 1] & 0x7f;
    let off = i + 2;
    if (n === 126) {
      n = buf.readUInt16BE(i + 2);
      off = i + 4;
    } else if (n === 127) {
      n = Number(buf.readBigUInt64BE(i + 2));
      off = i + 10;
    }
    if (off + n > buf.length) break;
    out.push({ opcode: buf[i] & 0x0f, payload: buf.subarray(off, off + n) });
    i = off + n;
  }
  return out;
}
