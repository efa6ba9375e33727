// GET /containers/{id}/logs: the records of json-file, local, journald, or the dual-logging
// cache of the other drivers, with Docker's since/until/tail/timestamps; follow ends when the
// container's current run has been recorded as exited.
import { invalidArgument, notImplemented } from '../../common/errors.ts';
import { jsonCodec, localCodec, readLogs } from '../../logs/reader.ts';
import { readJournal } from '../../logs/journal-read.ts';
import { logFileOf, logSource } from '../../logs/drivers.ts';
import { formatTime } from '../../logs/jsonlog.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import { logConfigOf } from './log-sink.ts';

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
}

export type LogsDeps = Pick<ContainerDeps, 'store' | 'live' | 'settings'>;

/** Unix seconds with an optional fraction ("1700000000.123456789") to nanoseconds. */
export function parseUnixNs(v: string | undefined, what: string): bigint | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (!m) throw invalidArgument(`invalid value for "${what}": failed to parse value as time or duration: "${v}"`);
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Reading stops when `ctx.signal` aborts (the client went away). */
export function containerLogs(
  deps: LogsDeps,
  ctx: OpContext,
  idOrName: string,
  o: LogsOptions,
): { tty: boolean; chunks: AsyncIterable<LogChunk> } {
  if (!o.stdout && !o.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  const c = deps.store.resolve(idOrName);
  const lc = logConfigOf(deps.settings, c);
  const source = logSource(lc.Type, lc.Config);
  if (!source) throw notImplemented(`configured logging driver does not support reading`);
  const since = parseUnixNs(o.since, 'since');
  const until = parseUnixNs(o.until, 'until');
  let tail = -1;
  if (o.tail !== undefined && o.tail !== '' && o.tail !== 'all') {
    if (!/^-?\d+$/.test(o.tail)) throw invalidArgument(`invalid value for "tail": ${o.tail}`);
    tail = Number(o.tail);
  }
  const live = deps.live.get(c.record.id);
  const running = Boolean(live.task);
  const follow = Boolean(o.follow) && running;
  const closed = new Promise<void>((resolve) => {
    if (!follow) return resolve();
    live.events.once('exit', () => resolve());
    live.events.once('removed', () => resolve());
  });
  const readOpts = {
    stdout: o.stdout,
    stderr: o.stderr,
    since,
    until,
    tail,
    follow,
    signal: ctx.signal,
    watchClosed: closed,
  };
  const records =
    source.kind === 'journald'
      ? readJournal(c.record.id, deps.settings.journal?.namespace, readOpts)
      : readLogs(logFileOf(lc.Type, { dir: deps.store.dir(c.record.id), jsonPath: c.record.logPath }), {
          ...readOpts,
          codec: source.kind === 'local' ? localCodec : jsonCodec,
        });
  async function* chunks(): AsyncGenerator<LogChunk> {
    for await (const r of records) {
      const data = o.timestamps ? Buffer.concat([Buffer.from(formatTime(r.timeNs, true) + ' '), r.line]) : r.line;
      yield { stream: r.stream, data };
    }
  }
  return { tty: Boolean(c.record.config.Tty), chunks: chunks() };
}
