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

/** Reads `conn` into `pump.write`; `keys` undefined means no detach keys (no TTY). */
export function pumpStdin(conn: Duplex, keys: Buffer | undefined, pump: StdinPump): void {
  const matcher = keys ? new DetachMatcher(keys) : undefined;
  let detached = false;
  conn.on('data', (b: Buffer) => {
    if (detached) return;
    if (!matcher) { pump.write(b); return; }
    const r = matcher.feed(b);
    if (r.out.length) pump.write(r.out);
    if (r.detached) {
      detached = true;
      pump.onDetach();
    }
  });
  conn.on('end', () => { if (!detached) pump.onEnd(); });
  // A connection whose request body was read off it first was left paused.
  conn.resume();
}
