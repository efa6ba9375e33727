// Docker's detach keys ("ctrl-p,ctrl-q"): parsed into bytes, and matched in a byte stream
// so the sequence is swallowed (a partial match spanning chunks is held back until it
// resolves). Shared by berthd (attach/exec stdin) and the CLI (its escape proxy).
import { invalidArgument } from './errors.ts';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Parses Docker's detach key spec ("ctrl-p,ctrl-q", "a", "ctrl-@") into bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    const ch = m[1];
    const code =
      ch === '@'
        ? 0
        : ch === '['
          ? 27
          : ch === '\\'
            ? 28
            : ch === ']'
              ? 29
              : ch === '^'
                ? 30
                : ch === '_'
                  ? 31
                  : /[a-z]/.test(ch)
                    ? ch.charCodeAt(0) - 96
                    : -1;
    if (code < 0) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    out.push(code);
  }
  return Buffer.from(out);
}

/** Feeds bytes through, swallowing the detach sequence; says when it matched. */
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
