// The fluentd driver: the forward protocol's Message mode — a msgpack array [tag, time,
// record, option] per log line over TCP, TLS or a unix socket (default 127.0.0.1:24224).
// The record is dockerd's: container_id, container_name, source, log, the partial_* fields
// of long lines and picked labels/env; time is whole seconds, or fluentd's EventTime with
// fluentd-sub-second-precision. fluentd-request-ack adds option {chunk} and waits for the
// server's {ack}. Synchronous (the default): the connection is made at start — a server
// that is down fails the start — and a failed write is retried (fluentd-max-retries, waits
// growing from fluentd-retry-wait by 1.5× up to a minute). fluentd-async: connect and send
// in the background from a queue of at most fluentd-buffer-limit bytes (default 1 MiB);
// what does not fit is dropped and counted, what is queued at close is discarded.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { invalidArgument } from '../common/errors.ts';
import type { CopierMessage } from './copier.ts';
import { dialStream, StreamConn, type StreamProto, tlsOptions } from './conn.ts';
import { type ContainerLogInfo, type DriverContext, type LogDriver, RateLimitedWarning } from './driver.ts';
import { extraAttributes, parseLogTag } from './info.ts';
import { decode, encode, EventTime, type MsgValue } from './msgpack.ts';
import { goDurationMs, goParseBool, ramInBytes } from '../common/go-values.ts';

const KEYS = [
  'env',
  'env-regex',
  'labels',
  'labels-regex',
  'tag',
  'fluentd-address',
  'fluentd-async',
  'fluentd-async-reconnect-interval',
  'fluentd-buffer-limit',
  'fluentd-max-retries',
  'fluentd-request-ack',
  'fluentd-retry-wait',
  'fluentd-sub-second-precision',
  'fluentd-write-timeout',
  'fluentd-read-timeout',
];

const MAX_RETRY_WAIT_MS = 60_000;

interface FluentConfig {
  proto: StreamProto;
  addr: string;
  bufferLimit: number;
  retryWaitMs: number;
  maxRetries: number;
  async: boolean;
  subSecond: boolean;
  requestAck: boolean;
  writeTimeoutMs: number;
  readTimeoutMs: number;
}

function parseAddress(address: string | undefined): { proto: StreamProto; addr: string } {
  if (!address) return { proto: 'tcp', addr: '127.0.0.1:24224' };
  const full = address.includes('://') ? address : `tcp://${address}`;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(full);
  const wrap = (why: string) => invalidArgument(`invalid fluentd-address (${address}): ${why}`);
  if (!m) throw wrap('parse error');
  const scheme = m[1].toLowerCase();
  if (scheme === 'unix') {
    // As Go's url.Path: what follows the (ignored) host.
    if (m[3].replace(/^\/+/, '') === '') throw wrap('path is empty');
    return { proto: 'unix', addr: m[3] };
  }
  if (scheme !== 'tcp' && scheme !== 'tls') throw wrap(`unsupported scheme: '${scheme}'`);
  if (m[3] !== '') throw wrap('should not contain a path element');
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(m[2])!;
  const host = hp[1] || '127.0.0.1';
  let port = 24224;
  if (hp[2] !== undefined && hp[2] !== '') {
    if (!/^\d+$/.test(hp[2]) || Number(hp[2]) > 65535)
      throw wrap(
        `invalid port: strconv.ParseUint: parsing "${hp[2]}": ${/^\d+$/.test(hp[2]) ? 'value out of range' : 'invalid syntax'}`,
      );
    port = Number(hp[2]);
  }
  return { proto: scheme === 'tls' ? 'tls' : 'tcp', addr: `${host}:${port}` };
}

function parseConfig(opts: Record<string, string>): FluentConfig {
  const { proto, addr } = parseAddress(opts['fluentd-address']);
  const bool = (k: string) => (opts[k] ? goParseBool(opts[k]) : false);
  const duration = (k: string) => {
    if (!opts[k]) return 0;
    let ms: number;
    try {
      ms = goDurationMs(opts[k]);
    } catch (err) {
      throw invalidArgument(`invalid value for ${k}: value must be a duration: ${(err as Error).message}`);
    }
    if (ms < 0) throw invalidArgument(`invalid value for ${k}: value must be a duration that is non-negative`);
    return ms;
  };
  let maxRetries = 2 ** 31 - 1;
  if (opts['fluentd-max-retries']) {
    const v = opts['fluentd-max-retries'];
    if (!/^\d+$/.test(v)) throw invalidArgument(`strconv.ParseUint: parsing "${v}": invalid syntax`);
    if (Number(v) > 2 ** 31 - 1) throw invalidArgument('invalid fluentd-max-retries: value out of range');
    maxRetries = Number(v);
  }
  if (opts['fluentd-async-reconnect-interval']) {
    const ms = goDurationMs(opts['fluentd-async-reconnect-interval']);
    if (ms !== 0 && (ms < 100 || ms > 10_000))
      throw invalidArgument(
        `invalid value for fluentd-async-reconnect-interval: value (${JSON.stringify(opts['fluentd-async-reconnect-interval'])}) must be between 100ms and 10s`,
      );
  }
  return {
    proto,
    addr,
    bufferLimit: opts['fluentd-buffer-limit'] ? ramInBytes(opts['fluentd-buffer-limit']) : 1024 * 1024,
    retryWaitMs: opts['fluentd-retry-wait'] ? goDurationMs(opts['fluentd-retry-wait']) : 1000,
    maxRetries,
    async: bool('fluentd-async'),
    subSecond: bool('fluentd-sub-second-precision'),
    requestAck: bool('fluentd-request-ack'),
    writeTimeoutMs: duration('fluentd-write-timeout'),
    readTimeoutMs: duration('fluentd-read-timeout'),
  };
}

export function validateFluentdOpts(opts: Record<string, string>): void {
  for (const k of Object.keys(opts))
    if (!KEYS.includes(k)) throw invalidArgument(`unknown log opt '${k}' for fluentd log driver`);
  parseConfig(opts);
}

/** Reads the server's acks ({"ack": "<chunk>"}) off a connection. */
class AckReader {
  #buf = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  constructor(sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      this.#waiter?.();
    });
    sock.on('close', () => this.#waiter?.());
  }
  async next(timeoutMs: number, sock: net.Socket): Promise<string> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      const v = this.#buf.length ? decode(this.#buf) : undefined;
      if (v) {
        this.#buf = this.#buf.subarray(v[1]);
        const ack = (v[0] as Record<string, MsgValue> | null)?.ack;
        return typeof ack === 'string' ? ack : '';
      }
      if (sock.destroyed) throw new Error('fluent#read: connection closed before the ack');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('fluent#read: i/o timeout');
      await new Promise<void>((r) => {
        const t = Number.isFinite(left) ? setTimeout(r, left) : undefined;
        this.#waiter = () => {
          if (t) clearTimeout(t);
          r();
        };
      });
      this.#waiter = undefined;
    }
  }
}

export async function openFluentd(
  info: ContainerLogInfo,
  opts: Record<string, string>,
  ctx: DriverContext,
): Promise<LogDriver> {
  const cfg = parseConfig(opts);
  const tag = parseLogTag(info, opts);
  const extra = extraAttributes(info, opts);
  const tlsOpts = cfg.proto === 'tls' ? tlsOptions({}) : undefined;
  const dial = () => dialStream(cfg.proto, cfg.addr, tlsOpts);
  const drops = new RateLimitedWarning(ctx.warn);
  const lost = (err: unknown) =>
    drops.drop(1, 'fluentd: message not delivered', { container: info.id, error: (err as Error).message });

  const record = (msg: CopierMessage): Buffer => {
    const data: Record<string, string> = {
      container_id: info.id,
      container_name: `/${info.name}`,
      source: msg.stream,
      log: msg.line.toString('utf8'),
      ...extra,
    };
    if (msg.partial) {
      data.partial_message = 'true';
      data.partial_id = msg.partial.id;
      data.partial_ordinal = String(msg.partial.ordinal);
      data.partial_last = String(msg.partial.last);
    }
    const time = cfg.subSecond ? new EventTime(msg.timeNs) : Number(msg.timeNs / 1_000_000_000n);
    const option: Record<string, string> = {};
    let chunk = '';
    if (cfg.requestAck) {
      chunk = randomBytes(16).toString('base64');
      option.chunk = chunk;
    }
    return Object.assign(encode([tag, time, data, option]), { chunk });
  };

  let conn: StreamConn | undefined;
  let acks: AckReader | undefined;
  let closed = false;
  const connect = async () => {
    if (conn) await conn.reconnect();
    else conn = await StreamConn.open(dial);
    acks = cfg.requestAck ? new AckReader(conn.socket!) : undefined;
  };
  /** One attempt: write, then wait for the ack when asked to. */
  const attempt = async (b: Buffer & { chunk?: string }) => {
    if (!conn?.connected) await connect();
    const w = conn!.write(b);
    if (cfg.writeTimeoutMs > 0) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        w.finally(() => clearTimeout(t)),
        new Promise(
          (_, rej) => (t = setTimeout(() => rej(new Error('fluent#write: i/o timeout')), cfg.writeTimeoutMs)),
        ),
      ]).catch((err) => {
        conn?.socket?.destroy();
        throw err;
      });
    } else await w;
    if (b.chunk) {
      const ack = await acks!.next(cfg.readTimeoutMs, conn!.socket!);
      if (ack !== b.chunk) {
        conn!.socket!.destroy();
        throw new Error(`fluent#write: message ack (${ack}) doesn't match expected one (${b.chunk})`);
      }
    }
  };
  /** Retries as fluent-logger does: waits of retry-wait × 1.5^n, capped at a minute. */
  const send = async (b: Buffer) => {
    for (let i = 0; ; i++) {
      try {
        return await attempt(b);
      } catch (err) {
        if (closed || i + 1 >= cfg.maxRetries) return lost(err);
        await new Promise((r) => setTimeout(r, Math.min(cfg.retryWaitMs * 1.5 ** i, MAX_RETRY_WAIT_MS)));
        if (closed) return lost(err);
      }
    }
  };

  if (!cfg.async) {
    await connect();
    return {
      handler: (msg) => send(record(msg)),
      close: async () => {
        closed = true;
        await conn?.close();
      },
    };
  }

  // Async: a bounded queue drained in the background; the handler never waits.
  const queue: Buffer[] = [];
  let queued = 0;
  let pump: Promise<void> | undefined;
  const run = async () => {
    while (queue.length && !closed) {
      const b = queue.shift()!;
      queued -= b.length;
      await send(b);
    }
  };
  return {
    handler: (msg) => {
      if (closed) return;
      const b = record(msg);
      if (queued + b.length > cfg.bufferLimit) {
        lost(new Error(`fluent#appendBuffer: Buffer full, limit ${cfg.bufferLimit}`));
        return;
      }
      queue.push(b);
      queued += b.length;
      pump ??= run().finally(() => (pump = undefined));
    },
    close: async () => {
      closed = true;
      if (queue.length) drops.drop(queue.length, 'fluentd: queued messages discarded at close', { container: info.id });
      queue.length = 0;
      await conn?.close();
    },
  };
}
