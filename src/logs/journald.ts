// The journald driver: each log line as a journal entry over the native protocol (one
// datagram per entry to /run/systemd/journal/socket, or a journal namespace's socket) with
// dockerd's fields — MESSAGE, PRIORITY (6 stdout, 3 stderr), CONTAINER_ID(_FULL),
// CONTAINER_NAME, CONTAINER_TAG, IMAGE_NAME, SYSLOG_IDENTIFIER (the tag), SYSLOG_TIMESTAMP,
// CONTAINER_LOG_EPOCH/ORDINAL, the CONTAINER_PARTIAL_* fields of long lines and picked
// labels/env under journal-safe names. Without a journal the start fails as dockerd's does.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { invalidArgument } from '../common/errors.ts';
import { run, resolveBinary } from '../sys/exec.ts';
import { dialUnixgram } from './conn.ts';
import { type ContainerLogInfo, type DriverContext, type LogDriver, RateLimitedWarning } from './driver.ts';
import { extraAttributes, parseLogTag } from './info.ts';
import { formatTime } from './jsonlog.ts';

const KEYS = ['env', 'env-regex', 'labels', 'labels-regex', 'tag'];

export function validateJournaldOpts(opts: Record<string, string>): void {
  for (const k of Object.keys(opts))
    if (!KEYS.includes(k)) throw invalidArgument(`unknown log opt '${k}' for journald log driver`);
}

/** Journal field names: upper case letters, digits and underscores, not leading with one. */
export function journalKey(s: string): string {
  let n = '';
  for (const ch of s) {
    let c = ch;
    if (c >= 'a' && c <= 'z') c = c.toUpperCase();
    else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
    if (n === '' && c === '_') continue;
    n += c;
  }
  return n;
}

/** One entry in the native protocol: KEY=value lines, or KEY\n<u64 LE length><value>\n for values with newlines. */
export function encodeEntry(fields: [string, string | Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    const value = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    if (value.includes(0x0a)) {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(value.length));
      parts.push(Buffer.from(`${k}\n`), len, value, Buffer.from('\n'));
    } else parts.push(Buffer.from(`${k}=`), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Whether a journal listens on `socket` (dockerd's journal.Enabled). */
export const journalEnabled = (socket: string) => existsSync(socket);

export async function openJournald(
  info: ContainerLogInfo,
  opts: Record<string, string>,
  ctx: DriverContext,
): Promise<LogDriver> {
  if (!journalEnabled(ctx.journalSocket)) throw new Error('journald is not enabled on this host');
  const tag = parseLogTag(info, opts);
  const epoch = randomBytes(32).toString('hex');
  const fixed: [string, string][] = [
    ['CONTAINER_ID', info.id.slice(0, 12)],
    ['CONTAINER_ID_FULL', info.id],
    ['CONTAINER_NAME', info.name],
    ['CONTAINER_TAG', tag],
    ['IMAGE_NAME', info.imageName],
    ['SYSLOG_IDENTIFIER', tag],
    ['CONTAINER_LOG_EPOCH', epoch],
    ...Object.entries(extraAttributes(info, opts, journalKey)),
  ];
  let sock = dialUnixgram(ctx.journalSocket);
  let ordinal = 0;
  const drops = new RateLimitedWarning(ctx.warn);
  let closed = false;
  return {
    handler: async (msg) => {
      if (closed) return;
      const fields: [string, string | Buffer][] = [
        ['MESSAGE', msg.line],
        ['PRIORITY', msg.stream === 'stderr' ? '3' : '6'],
        ...fixed,
        ['SYSLOG_TIMESTAMP', formatTime(msg.timeNs)],
      ];
      if (msg.partial) {
        fields.push(
          ['CONTAINER_PARTIAL_ID', msg.partial.id],
          ['CONTAINER_PARTIAL_ORDINAL', String(msg.partial.ordinal)],
          ['CONTAINER_PARTIAL_LAST', String(msg.partial.last)],
        );
        if (!msg.partial.last) fields.push(['CONTAINER_PARTIAL_MESSAGE', 'true']);
      }
      fields.push(['CONTAINER_LOG_ORDINAL', String(++ordinal)]);
      const data = encodeEntry(fields);
      try {
        await sock.send(data);
      } catch {
        try {
          sock.close();
          sock = dialUnixgram(ctx.journalSocket);
          await sock.send(data);
        } catch (err) {
          drops.drop(1, 'journald: entry not delivered', { container: info.id, error: (err as Error).message });
        }
      }
    },
    close: async () => {
      closed = true;
      sock.close();
      // Readers right after the container's end must find every entry: make the journal
      // take in what is queued on its socket (as dockerd waits until the journal caught up).
      await journalSync(ctx.journalNamespace).catch((err) =>
        ctx.warn('journalctl --sync failed', { container: info.id, error: (err as Error).message }),
      );
    },
  };
}

export function journalctl(): string {
  return resolveBinary('journalctl', ['/usr/bin/journalctl', '/bin/journalctl']);
}

export const namespaceArgs = (ns: string | undefined) => (ns ? [`--namespace=${ns}`] : []);

export async function journalSync(ns: string | undefined): Promise<void> {
  await run(journalctl(), [...namespaceArgs(ns), '--sync'], { timeoutMs: 10_000 });
}
