// Kubernetes' remote-command protocol (exec and attach) over a SPDY session (its WebSocket
// form is ws-remotecommand.ts, which shares the status and resize code here): the client
// opens typed streams (error, stdin, stdout, stderr, resize); once the ones the request
// calls for are all there the command runs; its end is reported on the error stream —
// v4: a metav1.Status (Success, or NonZeroExitCode with the code as a cause), v2/v3: a
// plain message on failure only — and the connection closes.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { messageOf } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { StreamIo } from '../backend.ts';
import type { SpdySession, SpdyStream } from '../spdy/session.ts';

export const REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'];

/** How long the client has to open the streams the request calls for. */
const STREAMS_TIMEOUT_MS = 30_000;

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The command's outcome: an exit code (exec), nothing (attach), or a failure to report. */
export type RunCommand = (io: StreamIo) => Promise<number | undefined>;

/** Protocols whose error stream carries a metav1.Status (v4 on, over SPDY or WebSocket). */
const STATUS_PROTOCOLS = new Set(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io']);

function statusOf(protocol: string, outcome: { code?: number; error?: unknown }): string | undefined {
  const v4 = STATUS_PROTOCOLS.has(protocol);
  if (outcome.error !== undefined) {
    const message = messageOf(outcome.error);
    return v4 ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError' }) : message;
  }
  const code = outcome.code ?? 0;
  if (code === 0) return v4 ? JSON.stringify({ metadata: {}, status: 'Success' }) : undefined;
  const message = `command terminated with non-zero exit code: exit status ${code}`;
  return v4
    ? JSON.stringify({
        metadata: {},
        status: 'Failure',
        message,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
      })
    : message;
}

const MAX_RESIZE_LINE = 4096;

/** Terminal sizes arrive as JSON objects ({"Width":…,"Height":…}), one per line. */
export function readResizes(stream: Readable, out: StreamIo['resizes']): void {
  let pending = '';
  stream.on('data', (b: Buffer) => {
    pending += b.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      try {
        const m = JSON.parse(line) as { Width?: number; Height?: number };
        if (Number.isInteger(m.Width) && Number.isInteger(m.Height) && m.Width! > 0 && m.Height! > 0)
          out.emit('resize', { width: m.Width!, height: m.Height! });
      } catch {
        /* a malformed size is skipped, as kubelet does */
      }
    }
    if (pending.length > MAX_RESIZE_LINE) pending = ''; // no size is that long
  });
}

export function serveRemoteCommand(
  session: SpdySession,
  protocol: string,
  opts: RemoteCommandOptions,
  run: RunCommand,
  log: Logger,
): void {
  const wanted = new Set(['error']);
  if (opts.stdin) wanted.add('stdin');
  if (opts.stdout) wanted.add('stdout');
  if (opts.stderr && !opts.tty) wanted.add('stderr');
  if (opts.tty && protocol !== 'v2.channel.k8s.io') wanted.add('resize');
  const streams = new Map<string, SpdyStream>();
  const ac = new AbortController();
  const resizes: StreamIo['resizes'] = new EventEmitter();
  let started = false;
  const timer = setTimeout(() => {
    log.debug('CRI streaming: the client did not open its streams in time', { have: [...streams.keys()] });
    session.close();
  }, STREAMS_TIMEOUT_MS);
  session.once('close', () => {
    clearTimeout(timer);
    ac.abort();
  });
  session.on('stream', (s: SpdyStream) => {
    const type = s.header('streamType');
    if (started || !wanted.has(type) || streams.has(type)) {
      s.reset();
      return;
    }
    s.reply();
    streams.set(type, s);
    if (type === 'resize') readResizes(s, resizes);
    if (streams.size < wanted.size) return;
    started = true;
    clearTimeout(timer);
    void execute();
  });

  async function execute(): Promise<void> {
    const io: StreamIo = {
      stdin: streams.get('stdin'),
      stdout: streams.get('stdout'),
      stderr: streams.get('stderr'),
      tty: opts.tty,
      resizes,
      signal: ac.signal,
    };
    const status = await runToStatus(protocol, run, io);
    await endOf(streams.get('error')!, status);
    session.close();
  }
}

/**
 * Runs the command, ends its output streams once flushed, and answers what the error
 * stream must carry last (for SPDY and WebSocket alike).
 */
export async function runToStatus(protocol: string, run: RunCommand, io: StreamIo): Promise<string | undefined> {
  let outcome: { code?: number; error?: unknown };
  try {
    outcome = { code: await run(io) };
  } catch (error) {
    outcome = { error };
  }
  const ends = [io.stdout, io.stderr].filter((w): w is Writable => Boolean(w)).map((w) => endOf(w));
  await Promise.all(ends);
  return statusOf(protocol, outcome);
}

/** Ends a stream (after `last`) and resolves once it is flushed or gone. */
export function endOf(w: Writable, last?: string): Promise<void> {
  if (w.destroyed || w.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('close', resolve);
    w.once('error', () => resolve());
    if (last !== undefined) w.end(last);
    else w.end();
  });
}
