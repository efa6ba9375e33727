import { constants } from 'node:os';
import { invalidArgument } from './errors.ts';

const SIGNALS = constants.signals as Record<string, number>;

/** Parses `SIGTERM`, `TERM`, `term`, `15`, `SIGRTMIN+3` into a number; Docker's message otherwise. */
export function parseSignal(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input > 0 && input <= 64) return input;
    throw invalidArgument(`Invalid signal: ${input}`);
  }
  const s = input.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n > 0 && n <= 64) return n;
    throw invalidArgument(`Invalid signal: ${input}`);
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const base = name.startsWith('RTMIN') ? 34 : 64;
    const off = Number(rt[1] ?? 0);
    const n = name.startsWith('RTMIN') ? base + off : base - off;
    if (n >= 34 && n <= 64) return n;
  }
  const n = SIGNALS[`SIG${name}`];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${input}`);
  return n;
}
