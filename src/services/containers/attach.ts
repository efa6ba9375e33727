// POST /containers/{id}/attach (and /attach/ws) on a hijacked connection: logs first when
// asked, then output from the live stdio hub; stdin into the container; detach keys (TTY
// only, per call or the daemon's `detach-keys`); StdinOnce closes the container's stdin
// when the client that fed it goes away.
import type { Duplex } from 'node:stream';
import { conflict } from '../../common/errors.ts';
import { frame, STDERR, STDOUT } from '../../common/stdcopy.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import { containerLogs } from './logs.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys, pumpStdin } from './stdin.ts';

export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
  /** No detach keys (the CRI's sessions: their clients leave by closing). */
  noDetachKeys?: boolean;
}

const LIVE = ['created', 'running', 'paused', 'restarting'];

export type AttachDeps = Pick<ContainerDeps, 'store' | 'live' | 'events' | 'settings'>;

/** Validates before the connection is hijacked, so errors still get a proper status. */
export function prepareAttach(deps: Pick<ContainerDeps, 'store' | 'settings'>, idOrName: string, o: AttachOptions) {
  const c = deps.store.resolve(idOrName);
  if (o.stream && !o.logs && !LIVE.includes(c.runtime.state.Status)) {
    throw conflict('You cannot attach to a stopped container, start it first');
  }
  const keys = o.noDetachKeys
    ? undefined
    : parseDetachKeys(o.detachKeys || deps.settings.detachKeys || DEFAULT_DETACH_KEYS);
  return { c, tty: Boolean(c.record.config.Tty), keys };
}

export async function runAttach(
  deps: AttachDeps,
  ctx: OpContext,
  prepared: ReturnType<typeof prepareAttach>,
  o: AttachOptions,
  conn: Duplex,
  framed: boolean,
): Promise<void> {
  const { c, keys, tty } = prepared;
  const id = c.record.id;
  const live = deps.live.get(id);
  const closed = new Promise<void>((resolve) => {
    conn.once('close', resolve);
    conn.once('error', () => resolve());
  });
  const streaming = o.stream && LIVE.includes(c.runtime.state.Status);
  let unsubscribe = () => {};
  // Stdin is read from the start (the plain hijack already flows), logs or not.
  const useStdin = streaming && o.stdin && Boolean(c.record.config.OpenStdin);
  // StdinOnce (docker run -i without -t): the client's EOF or hang-up is the container's EOF.
  let stdinDone = false;
  const stdinGone = () => {
    if (stdinDone || !useStdin) return;
    stdinDone = true;
    if (c.record.config.StdinOnce && !tty) live.io.endStdin();
  };
  if (useStdin) {
    pumpStdin(conn, tty ? keys : undefined, {
      write: (b) => live.io.writeStdin(b),
      onDetach: () => {
        stdinDone = true;
        unsubscribe();
        deps.events.publish('container', 'detach', id);
        conn.end();
        setTimeout(() => conn.destroy(), 2000).unref();
      },
      onEnd: stdinGone,
    });
  } else {
    conn.resume(); // read to the client's EOF so the socket closes
  }
  if (o.logs) {
    const ac = new AbortController();
    void closed.then(() => ac.abort());
    const logsCtx = { signal: AbortSignal.any([ac.signal, ctx.signal]), log: ctx.log };
    const { chunks } = containerLogs(deps, logsCtx, id, { stdout: o.stdout, stderr: o.stderr });
    for await (const ch of chunks) {
      if (conn.destroyed) return;
      if (!conn.write(framed ? frame(ch.stream === 'stdout' ? STDOUT : STDERR, ch.data) : ch.data)) {
        await Promise.race([new Promise((r) => conn.once('drain', r)), closed]);
      }
    }
  }
  // (the container may have exited, or the client detached, while the logs went out)
  if (!streaming || !LIVE.includes(c.runtime.state.Status) || conn.destroyed || conn.writableEnded) {
    conn.end();
    return;
  }
  unsubscribe = live.io.subscribe(conn as never, { stdout: o.stdout, stderr: o.stderr, framed });
  deps.events.publish('container', 'attach', id);
  await closed;
  unsubscribe();
  stdinGone();
}
