// Stdin from a hijacked connection into a container or exec process, with Docker's detach
// keys: only with a TTY (as dockerd's copyEscapable), a matched sequence detaches the client
// and is never delivered; a partial match spanning chunks is held back until it resolves.
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Parses Docker's detach key spec ("ctrl-p,ctrl-q", "a", "ctrl-@") into bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) { out.push(k.charCodeAt(0)); continue; }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    const ch = m[1];
    const code = ch === '@' ? 0 : ch === '[' ? 27 : ch === '\\' ? 28 : ch === ']' ? 29 : ch === '^' ? 30 : ch === '_' ? 31
      : /[a-z]/.test(ch) ? ch.charCodeAt(0) - 96 : -1;
    if (code < 0) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    out.push(code);
  }
  return Buffer.from(out);
}

/** Feeds bytes through, swallowing a detach sequence; returns what to deliver and whether it matched. */
export class DetachMatcher {
  private readonly keys: Buffer;
  private matched = 0;
  constructor(keys: Buffer) {
    this.keys = keys;
  }

  feed(b: Buffer): { out: Buffer; detached: boolean } {
    const keys = this.keys;
    if (keys.length === 0 || (this.matched === 0 && b.indexOf(keys[0]) === -1)) return { out: b, detached: false };
    const out: number[] = [];
    for (const byte of b) {
      if (byte === keys[this.matched]) {
        if (++this.matched === keys.length) {
          this.matched = 0;
          return { out: Buffer.from(out), detached: true };
        }
        continue;
      }
      for (let j = 0; j < this.matched; j++) out.push(keys[j]);
      this.matched = 0;
      if (byte === keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { out: Buffer.from(out), detached: false };
  }
}

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
}
