// The syslog driver: one syslog message per log line to unix (stream or datagram), udp, tcp
// or tcp+tls addresses, in dockerd's formats — "" (its default: <pri>Mmm dd hh:mm:ss
// tag[pid]: msg), rfc3164 (with the hostname), rfc5424 and rfc5424micro (the tag as APP-NAME
// and MSGID), octet-counted framing (RFC 5425) for rfc5424 over tcp+tls. The connection is
// made at start (a server that is down fails the start, as with dockerd); a write that fails
// reconnects once and retries, else the message is dropped and counted.
import { statSync } from 'node:fs';
import { invalidArgument } from '../common/errors.ts';
import type { CopierMessage } from './copier.ts';
import { dialError, dialStream, dialUdp, dialUnixgram, StreamConn, tlsOptions } from './conn.ts';
import { type ContainerLogInfo, type DriverContext, type LogDriver, RateLimitedWarning } from './driver.ts';
import { parseLogTag } from './info.ts';
import { goAtoi } from '../common/go-values.ts';

export const SYSLOG_KEYS = [
  'env',
  'env-regex',
  'labels',
  'labels-regex',
  'tag',
  'syslog-address',
  'syslog-facility',
  'syslog-tls-ca-cert',
  'syslog-tls-cert',
  'syslog-tls-key',
  'syslog-tls-skip-verify',
  'syslog-format',
];

const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

const SEV_ERR = 3;
const SEV_INFO = 6;
const LOCAL_PATHS = ['/dev/log', '/var/run/syslog', '/var/run/log'];

type Proto = '' | 'unix' | 'unixgram' | 'udp' | 'tcp' | 'tcp+tls';

/** syslog-address → [proto, address]; dockerd's checks and messages. */
export function parseSyslogAddress(address: string | undefined): [Proto, string] {
  if (!address) return ['', ''];
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)/.exec(address);
  const scheme = m ? m[1].toLowerCase() : '';
  if (scheme === 'unix' || scheme === 'unixgram') {
    const path = m![3];
    try {
      statSync(path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw invalidArgument(`stat ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code}`);
    }
    return [scheme, path];
  }
  if (scheme !== 'udp' && scheme !== 'tcp' && scheme !== 'tcp+tls')
    throw invalidArgument(`unsupported scheme: '${scheme}'`);
  let host = m![2] ?? '';
  if (!/^(?:\[[^\]]*\]|[^:]*):\d*$/.test(host)) {
    if (!host.startsWith('[') && host.includes(':'))
      throw invalidArgument(`address ${host}: too many colons in address`);
    host = `${host}:514`;
  }
  return [scheme, host];
}

export function parseFacility(f: string | undefined): number {
  if (!f) return FACILITIES.daemon << 3;
  if (Object.hasOwn(FACILITIES, f)) return FACILITIES[f] << 3;
  try {
    const n = goAtoi(f);
    if (n >= 0 && n <= 23) return n << 3;
  } catch {
    /* not a number */
  }
  throw invalidArgument('invalid syslog facility');
}

type Format = '' | 'rfc3164' | 'rfc5424' | 'rfc5424micro';

function parseFormat(f: string | undefined): Format {
  const v = f ?? '';
  if (v === '' || v === 'rfc3164' || v === 'rfc5424' || v === 'rfc5424micro') return v;
  throw invalidArgument('Invalid syslog format');
}

/** Create-time checks: keys, address, facility, format (dockerd's ValidateLogOpt). */
export function validateSyslogOpts(opts: Record<string, string>): void {
  for (const k of Object.keys(opts))
    if (!SYSLOG_KEYS.includes(k)) throw invalidArgument(`unknown log opt '${k}' for syslog log driver`);
  parseSyslogAddress(opts['syslog-address']);
  parseFacility(opts['syslog-facility']);
  parseFormat(opts['syslog-format']);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** Go's time.Stamp, local time: "Jan _2 15:04:05". */
function stamp(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** Go's RFC 3339 in local time ("Z" when UTC), with `frac` digits of seconds. */
function rfc3339(d: Date, frac: number, nsOfSecond = 0): string {
  const off = -d.getTimezoneOffset();
  const zone =
    off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
  const f = frac > 0 ? `.${String(nsOfSecond).padStart(9, '0').slice(0, frac)}` : '';
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}${f}${zone}`;
}

/** One syslog message as dockerd's formatters write it (`content` already ends in "\n"). */
export function formatSyslog(
  format: Format,
  pri: number,
  hostname: string,
  tag: string,
  content: string,
  now = new Date(),
  pid = process.pid,
): string {
  switch (format) {
    case '':
      return `<${pri}>${stamp(now)} ${tag}[${pid}]: ${content}`;
    case 'rfc3164':
      return `<${pri}>${stamp(now)} ${hostname} ${tag}[${pid}]: ${content}`;
    case 'rfc5424':
      return `<${pri}>1 ${rfc3339(now, 0)} ${hostname} ${tag} ${pid} ${tag} - ${content}`;
    case 'rfc5424micro': {
      const ns = (now.getMilliseconds() * 1e6) | 0;
      return `<${pri}>1 ${rfc3339(now, 6, ns)} ${hostname} ${tag} ${pid} ${tag} - ${content}`;
    }
  }
}

interface Transport {
  send(b: Buffer): Promise<void>;
  reconnect(): Promise<void>;
  close(): Promise<void>;
}

/** The connection: dialled once at start, re-dialled after a failed write. */
async function connect(proto: Proto, addr: string, opts: Record<string, string>): Promise<Transport> {
  if (proto === 'udp') {
    let u = await dialUdp(addr);
    return {
      send: (b) => u.send(b),
      reconnect: async () => {
        u.close();
        u = await dialUdp(addr);
      },
      close: async () => u.close(),
    };
  }
  if (proto === 'unixgram' || proto === '') {
    // The default address: the local syslog socket, datagram first, then stream.
    const paths = proto === '' ? LOCAL_PATHS : [addr];
    const open = async (): Promise<Transport> => {
      for (const p of paths) {
        try {
          let s = dialUnixgram(p);
          return {
            send: (b) => s.send(b),
            reconnect: async () => {
              s.close();
              s = dialUnixgram(p);
            },
            close: async () => s.close(),
          };
        } catch {
          /* next */
        }
      }
      if (proto === '')
        for (const p of paths) {
          try {
            return streamTransport(await StreamConn.open(() => dialStream('unix', p)));
          } catch {
            /* next */
          }
        }
      if (proto === '') throw new Error('Unix syslog delivery error');
      throw dialError('unixgram', addr, { code: 'ECONNREFUSED' });
    };
    return open();
  }
  const tlsOpts =
    proto === 'tcp+tls'
      ? tlsOptions({
          ca: opts['syslog-tls-ca-cert'],
          cert: opts['syslog-tls-cert'],
          key: opts['syslog-tls-key'],
          skipVerify: opts['syslog-tls-skip-verify'] !== undefined,
        })
      : undefined;
  const kind = proto === 'unix' ? 'unix' : proto === 'tcp+tls' ? 'tls' : 'tcp';
  return streamTransport(await StreamConn.open(() => dialStream(kind, addr, tlsOpts)));
}

function streamTransport(conn: StreamConn): Transport {
  return { send: (b) => conn.write(b), reconnect: () => conn.reconnect(), close: () => conn.close() };
}

export async function openSyslog(
  info: ContainerLogInfo,
  opts: Record<string, string>,
  ctx: DriverContext,
): Promise<LogDriver> {
  const tag = parseLogTag(info, opts);
  const [proto, addr] = parseSyslogAddress(opts['syslog-address']);
  const facility = parseFacility(opts['syslog-facility']);
  const format = parseFormat(opts['syslog-format']);
  const octetCounting = proto === 'tcp+tls' && (format === 'rfc5424' || format === 'rfc5424micro');
  const transport = await connect(proto, addr, opts);
  const drops = new RateLimitedWarning(ctx.warn);
  const frame = (msg: CopierMessage): Buffer => {
    const pri = facility | (msg.stream === 'stderr' ? SEV_ERR : SEV_INFO);
    // dockerd's srslog names the host by its hostname in every format that has one.
    const text = formatSyslog(format, pri, info.hostname, tag, `${msg.line.toString('utf8')}\n`);
    return Buffer.from(octetCounting ? `${Buffer.byteLength(text)} ${text}` : text, 'utf8');
  };
  let closed = false;
  return {
    handler: async (msg) => {
      if (closed || msg.line.length === 0) return;
      const b = frame(msg);
      try {
        await transport.send(b);
      } catch {
        try {
          await transport.reconnect();
          await transport.send(b);
        } catch (err) {
          drops.drop(1, 'syslog: message not delivered', { container: info.id, error: (err as Error).message });
        }
      }
    },
    close: async () => {
      closed = true;
      await transport.close();
    },
  };
}
