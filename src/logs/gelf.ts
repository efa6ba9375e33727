// The gelf driver: GELF 1.1 JSON per log line, over UDP (gzip, zlib or no compression;
// messages over 1420 bytes in chunks of dockerd's go-gelf shape, at most 128) or TCP (no
// compression, each message ended by a NUL byte; reconnecting up to gelf-tcp-max-reconnect
// times, gelf-tcp-reconnect-delay seconds apart). Fields as dockerd's: host, short_message,
// timestamp (milliseconds), level 6 (stdout) or 3 (stderr), and _container_id,
// _container_name, _image_id, _image_name, _command, _tag, _created plus picked labels/env.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { invalidArgument } from '../common/errors.ts';
import type { CopierMessage } from './copier.ts';
import { dialStream, dialUdp, splitHostPort, StreamConn } from './conn.ts';
import { type ContainerLogInfo, type DriverContext, type LogDriver, RateLimitedWarning } from './driver.ts';
import { extraAttributes, parseLogTag } from './info.ts';
import { goAtoi } from '../common/go-values.ts';

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);

const CHUNK_SIZE = 1420;
const CHUNK_HEADER = 12;
const CHUNK_DATA = CHUNK_SIZE - CHUNK_HEADER;
const MAX_CHUNKS = 128;

const COMMON = ['env', 'env-regex', 'labels', 'labels-regex', 'tag'];

function parseGelfAddress(address: string | undefined): { scheme: 'udp' | 'tcp'; host: string } {
  if (!address) throw invalidArgument('gelf-address is a required parameter');
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(address);
  const scheme = m?.[1].toLowerCase();
  if (scheme !== 'udp' && scheme !== 'tcp') throw invalidArgument('gelf: endpoint needs to be TCP or UDP');
  try {
    splitHostPort(m![2]);
  } catch {
    throw invalidArgument('gelf: please provide gelf-address as proto://host:port');
  }
  return { scheme, host: m![2] };
}

/** Create-time checks with dockerd's messages. */
export function validateGelfOpts(opts: Record<string, string>): void {
  const { scheme } = parseGelfAddress(opts['gelf-address']);
  for (const [key, val] of Object.entries(opts)) {
    if (COMMON.includes(key) || key === 'gelf-address') continue;
    if (key === 'gelf-compression-level' || key === 'gelf-compression-type') {
      if (scheme !== 'udp') throw invalidArgument('compression is only supported on UDP');
      const ok =
        key === 'gelf-compression-type'
          ? ['gzip', 'zlib', 'none'].includes(val)
          : /^[+-]?\d+$/.test(val) && Number(val) >= -1 && Number(val) <= 9;
      if (!ok) throw invalidArgument(`unknown value "${val}" for log opt "${key}" for gelf log driver`);
    } else if (key === 'gelf-tcp-max-reconnect' || key === 'gelf-tcp-reconnect-delay') {
      if (scheme !== 'tcp') throw invalidArgument(`"${key}" is only valid for TCP`);
      if (!/^[+-]?\d+$/.test(val) || Number(val) < 0) throw invalidArgument(`"${key}" must be a positive integer`);
    } else {
      throw invalidArgument(`unknown log opt "${key}" for gelf log driver`);
    }
  }
}

/** JSON as Go's encoding/json writes it: <, >, & and U+2028/9 escaped. */
const goJson = (v: unknown) =>
  JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The JSON of one message: dockerd's field order (the struct's, then the sorted extras). */
export function gelfMessage(host: string, msg: CopierMessage, rawExtra: string): string {
  const ms = msg.timeNs / 1_000_000n;
  const head = {
    version: '1.1',
    host,
    short_message: msg.line.toString('utf8'),
    timestamp: Number(ms) / 1000,
    level: msg.stream === 'stderr' ? 3 : 6,
  };
  const j = goJson(head);
  return rawExtra === '{}' ? j : `${j.slice(0, -1)},${rawExtra.slice(1)}`;
}

/** Splits a (compressed) message into GELF chunks: magic 1e 0f, 8-byte id, sequence, count. */
export function gelfChunks(data: Buffer): Buffer[] {
  if (data.length <= CHUNK_SIZE) return [data];
  const n = Math.floor(data.length / CHUNK_DATA) + 1;
  if (n > MAX_CHUNKS) throw new Error(`msg too large, would need ${n} chunks`);
  const id = randomBytes(8);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const part = data.subarray(i * CHUNK_DATA, (i + 1) * CHUNK_DATA);
    out.push(Buffer.concat([Buffer.from([0x1e, 0x0f]), id, Buffer.from([i, n]), part]));
  }
  return out;
}

export async function openGelf(
  info: ContainerLogInfo,
  opts: Record<string, string>,
  ctx: DriverContext,
): Promise<LogDriver> {
  const { scheme, host: addr } = parseGelfAddress(opts['gelf-address']);
  const tag = parseLogTag(info, opts);
  const extra: Record<string, string> = {
    _container_id: info.id,
    _container_name: info.name,
    _image_id: info.imageId,
    _image_name: info.imageName,
    _command: [info.entrypoint, ...info.args].join(' '),
    _tag: tag,
    _created: info.created,
  };
  Object.assign(
    extra,
    extraAttributes(info, opts, (k) => (k.startsWith('_') ? k : `_${k}`)),
  );
  // Go marshals a map with its keys sorted.
  const rawExtra = JSON.stringify(
    Object.fromEntries(
      Object.keys(extra)
        .sort()
        .map((k) => [k, extra[k]]),
    ),
  );
  const hostname = info.hostname;
  const drops = new RateLimitedWarning(ctx.warn);
  const fail = (err: unknown) =>
    drops.drop(1, 'gelf: cannot send GELF message', { container: info.id, error: (err as Error).message });

  if (scheme === 'udp') {
    const type = opts['gelf-compression-type'] ?? 'gzip';
    const level = opts['gelf-compression-level'] !== undefined ? goAtoi(opts['gelf-compression-level']) : 1;
    let udp;
    try {
      udp = await dialUdp(addr);
    } catch (err) {
      throw new Error(`gelf: cannot connect to GELF endpoint: ${addr} ${(err as Error).message}`);
    }
    const u = udp;
    const compress = async (b: Buffer): Promise<Buffer> =>
      type === 'none' ? b : type === 'zlib' ? deflate(b, { level }) : gzip(b, { level });
    return {
      handler: async (msg) => {
        if (msg.line.length === 0) return;
        try {
          const data = await compress(Buffer.from(gelfMessage(hostname, msg, rawExtra)));
          for (const c of gelfChunks(data)) await u.send(c);
        } catch (err) {
          fail(err);
        }
      },
      close: async () => u.close(),
    };
  }

  const maxReconnect = opts['gelf-tcp-max-reconnect'] !== undefined ? goAtoi(opts['gelf-tcp-max-reconnect']) : 3;
  const delayS = opts['gelf-tcp-reconnect-delay'] !== undefined ? goAtoi(opts['gelf-tcp-reconnect-delay']) : 1;
  let conn: StreamConn;
  try {
    conn = await StreamConn.open(() => dialStream('tcp', addr));
  } catch (err) {
    throw new Error(`gelf: cannot connect to GELF endpoint: ${addr} ${(err as Error).message}`);
  }
  let closed = false;
  return {
    handler: async (msg) => {
      if (msg.line.length === 0 || closed) return;
      const data = Buffer.concat([Buffer.from(gelfMessage(hostname, msg, rawExtra)), Buffer.from([0])]);
      for (let attempt = 0; ; attempt++) {
        try {
          await conn.write(data);
          return;
        } catch (err) {
          if (attempt >= maxReconnect || closed) return fail(err);
          await new Promise((r) => setTimeout(r, delayS * 1000));
          await conn.reconnect().catch(() => {});
        }
      }
    },
    close: async () => {
      closed = true;
      await conn.close();
    },
  };
}
