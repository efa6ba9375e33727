// Stdin from a hijacked connection into a container or exec process, with Docker's detach
// keys: only with a TTY (as dockerd's copyEscapable), a matched sequence detaches the client
// and is never delivered; a partial match spanning chunks is held back until it resolves.
import type { Duplex } from 'node:stream';
import { DetachMatcher } from '../../common/detach-keys.ts';

export { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../common/detach-keys.ts';

export interface StdinPump {
  /** Where the bytes go. */
  write(b: Buffer): void;
  /** The detach keys matched (TTY only). */
  onDetach(): void;
  /** The client closed its sending side (EOF on stdin). */
  onEnd(): void;
}

/** What a client sent before its reader was in place (the plain hijack already flows). */
export interface HeldInput {
  chunks: Buffer[];
  ended: boolean;
  stop(): void;
}

/** Keeps what arrives on `conn` until pumpStdin takes over. */
export function holdStdin(conn: Duplex): HeldInput {
  const held: HeldInput = {
    chunks: [],
    ended: false,
    stop: () => {
      conn.off('data', onData);
      conn.off('end', onEnd);
    },
  };
  const onData = (b: Buffer) => held.chunks.push(b);
  const onEnd = () => {
    held.ended = true;
  };
  conn.on('data', onData);
  conn.once('end', onEnd);
  return held;
}

/** Reads `conn` into `pump.write`; `keys` undefined means no detach keys (no TTY). */
export function pumpStdin(conn: Duplex, keys: Buffer | undefined, pump: StdinPump, held?: HeldInput): void {
  const matcher = keys ? new DetachMatcher(keys) : undefined;
  let detached = false;
  const onData = (b: Buffer) => {
    if (detached) return;
    if (!matcher) {
      pump.write(b);
      return;
    }
    const r = matcher.feed(b);
    if (r.out.length) pump.write(r.out);
    if (r.detached) {
      detached = true;
      pump.onDetach();
    }
  };
  held?.stop();
  for (const b of held?.chunks ?? []) onData(b);
  if (held?.ended) {
    if (!detached) pump.onEnd();
    return;
  }
  conn.on('data', onData);
  conn.on('end', () => {
    if (!detached) pump.onEnd();
  });
  // A connection whose request body was read off it first was left paused.
  conn.resume();
}
