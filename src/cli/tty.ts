// The local terminal during `run -it`, `attach` and `exec -it`: raw mode restored on every
// way out (normal return, error, SIGTERM/SIGHUP, process exit), window size forwarded on
// SIGWINCH, and the stdio pump over a hijacked connection with the escape proxy.
import type { Ctx, Stdin } from './command.ts';
import { parseDetachKeys, DEFAULT_DETACH_KEYS } from '../common/detach-keys.ts';
import { streamHijacked, type HijackedConn, type Streaming } from '../client/hijack.ts';

/** Puts stdin in raw mode when it is a terminal; returns the restore function (idempotent). */
export function enterRawMode(ctx: Ctx, stdin: Stdin): () => void {
  if (!stdin.isTTY || !stdin.setRawMode) return () => {};
  stdin.setRawMode(true);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode?.(false);
    } catch {
      /* the terminal is gone */
    }
    process.off('exit', restore);
    for (const [sig, h] of handlers) process.off(sig, h);
  };
  // A signal from outside (the terminal closing, kill) must not leave the terminal raw.
  const handlers = (['SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = () => {
      restore();
      process.exit(128 + (sig === 'SIGTERM' ? 15 : 1));
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  process.on('exit', restore);
  ctx.onExit(restore);
  return restore;
}

/** Sends the terminal's size now (retrying briefly: the process may not be up yet) and on each SIGWINCH. */
export function monitorTtySize(ctx: Ctx, resize: (h: number, w: number) => Promise<void>): void {
  const send = () => {
    const size = ctx.io.ttySize();
    return size ? resize(size[0], size[1]) : Promise.resolve();
  };
  void (async () => {
    for (let i = 0; i < 5; i++) {
      try {
        await send();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 10 * (i + 1)));
      }
    }
  })();
  const onWinch = () => void send().catch(() => {});
  process.on('SIGWINCH', onWinch);
  ctx.onExit(() => process.off('SIGWINCH', onWinch));
}

export interface PumpOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** --detach-keys as given ('' for the default). */
  detachKeys: string;
}

/** Pumps the local stdio over `conn`; with a TTY the detach keys end the session. */
export function pumpStdio(ctx: Ctx, conn: HijackedConn, o: PumpOptions): Streaming {
  const stdin = o.stdin ? ctx.stdin : null;
  if (stdin && o.tty) enterRawMode(ctx, stdin);
  const streaming = streamHijacked(conn, {
    tty: o.tty,
    stdin,
    stdout: o.stdout ? { write: (b) => ctx.io.out(b) } : null,
    stderr: o.stderr ? { write: (b) => (o.tty ? ctx.io.out(b) : ctx.io.err(b)) } : null,
    detachKeys: o.tty && stdin ? parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS) : undefined,
  });
  ctx.onExit(() => streaming.close());
  return streaming;
}
