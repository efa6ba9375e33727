// Reading a container's journald entries back for `logs`: journalctl (JSON output, matched
// on CONTAINER_ID_FULL, in the journal namespace berthd logs into) with tail, since/until
// and follow. Following ends when the container's run ended: the journal is synced, the
// entries after the last one shown are read once more, and the follower is stopped.
import { killProcessGroup, run, spawnChild } from '../sys/exec.ts';
import { journalctl, journalSync, namespaceArgs } from './journald.ts';
import type { LogRecord } from './jsonlog.ts';
import { parseTime } from './jsonlog.ts';
import type { ReadLogsOptions } from './reader.ts';

interface JournalEntry {
  __CURSOR?: string;
  __REALTIME_TIMESTAMP?: string;
  MESSAGE?: string | number[] | null;
  PRIORITY?: string;
  SYSLOG_TIMESTAMP?: string;
  CONTAINER_PARTIAL_MESSAGE?: string;
}

function toRecord(e: JournalEntry): LogRecord | undefined {
  const m = e.MESSAGE;
  const body = typeof m === 'string' ? Buffer.from(m, 'utf8') : Array.isArray(m) ? Buffer.from(m) : undefined;
  if (!body) return undefined;
  const partial = e.CONTAINER_PARTIAL_MESSAGE === 'true';
  const timeNs =
    (e.SYSLOG_TIMESTAMP ? parseTime(e.SYSLOG_TIMESTAMP) : undefined) ?? BigInt(e.__REALTIME_TIMESTAMP ?? '0') * 1000n;
  return {
    stream: e.PRIORITY === '3' ? 'stderr' : 'stdout',
    line: partial ? body : Buffer.concat([body, Buffer.from('\n')]),
    timeNs,
  };
}

const secondsArg = (ns: bigint) => `@${ns / 1_000_000_000n}`;

export function readJournal(
  containerId: string,
  namespace: string | undefined,
  opts: ReadLogsOptions,
): AsyncIterable<LogRecord> {
  return { [Symbol.asyncIterator]: () => read(containerId, namespace, opts) };
}

async function* read(id: string, ns: string | undefined, opts: ReadLogsOptions): AsyncGenerator<LogRecord> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  const base = [
    ...namespaceArgs(ns),
    '--no-pager',
    // Fields over 4 KiB come out as null without --all.
    '--all',
    '-o',
    'json',
    '--output-fields=MESSAGE,PRIORITY,SYSLOG_TIMESTAMP,CONTAINER_PARTIAL_MESSAGE',
  ];
  const window = [
    ...(opts.since !== undefined ? [`--since=${secondsArg(opts.since)}`] : []),
    ...(opts.until !== undefined ? [`--until=${secondsArg(opts.until + 1_000_000_000n)}`] : []),
  ];
  const tail = opts.tail ?? -1;
  const lines = tail >= 0 ? ['-n', String(tail)] : ['-n', 'all'];
  const match = `CONTAINER_ID_FULL=${id}`;
  let lastCursor: string | undefined;
  let stop = false;
  const accept = (e: JournalEntry): LogRecord | undefined => {
    if (e.__CURSOR) lastCursor = e.__CURSOR;
    const r = toRecord(e);
    if (!r) return undefined;
    if (opts.until !== undefined && r.timeNs > opts.until) {
      stop = true;
      return undefined;
    }
    if (opts.since !== undefined && r.timeNs < opts.since) return undefined;
    return (r.stream === 'stdout' ? wantOut : wantErr) ? r : undefined;
  };

  if (!opts.follow) {
    const res = await run(journalctl(), [...base, ...window, ...lines, match], {
      timeoutMs: 120_000,
      signal: opts.signal,
      maxOutput: 1 << 30,
    });
    for (const e of parseLines(res.stdout.toString('utf8'))) {
      const r = accept(e);
      if (r) yield r;
      if (stop) return;
    }
    return;
  }

  const child = spawnChild(journalctl(), [...base, ...window, ...lines, '-f', match]);
  let ended = false;
  const endFollow = () => {
    if (ended) return;
    ended = true;
    killProcessGroup(child, 'SIGTERM');
  };
  opts.signal?.addEventListener('abort', endFollow, { once: true });
  const closed = opts.watchClosed?.then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  try {
    for await (const e of entriesOf(child, closed)) {
      if (e === 'closed') break;
      const r = accept(e);
      if (r) yield r;
      if (stop || opts.signal?.aborted) return;
    }
    endFollow();
    if (opts.signal?.aborted) return;
    // The run ended: what the journal took in after the last entry shown.
    await journalSync(ns).catch(() => {});
    const rest = await run(
      journalctl(),
      [...base, ...window, ...(lastCursor ? [`--after-cursor=${lastCursor}`] : lines), match],
      { timeoutMs: 120_000, maxOutput: 1 << 30, allowFail: true },
    );
    for (const e of parseLines(rest.stdout.toString('utf8'))) {
      const r = accept(e);
      if (r) yield r;
      if (stop) return;
    }
  } finally {
    endFollow();
    opts.signal?.removeEventListener('abort', endFollow);
  }
}

function* parseLines(text: string): Generator<JournalEntry> {
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      yield JSON.parse(l) as JournalEntry;
    } catch {
      /* not an entry */
    }
  }
}

/** Entries as journalctl prints them, until it exits or `closed` resolves. */
async function* entriesOf(
  child: ReturnType<typeof spawnChild>,
  closed: Promise<'closed'> | undefined,
): AsyncGenerator<JournalEntry | 'closed'> {
  let buf = '';
  const queue: (JournalEntry | 'closed' | 'eof')[] = [];
  let wake: (() => void) | undefined;
  const push = (x: JournalEntry | 'closed' | 'eof') => {
    queue.push(x);
    wake?.();
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    buf += c;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      for (const e of parseLines(buf.slice(0, nl))) push(e);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  child.stderr!.resume();
  child.once('close', () => push('eof'));
  void closed?.then(() => push('closed'));
  for (;;) {
    while (queue.length) {
      const x = queue.shift()!;
      if (x === 'eof') return;
      yield x;
    }
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}
