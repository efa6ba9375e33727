// Shared filter helpers (label=key, label=key=value; label!=… for prune).
import { invalidArgument } from '../common/errors.ts';

export function matchLabels(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  if (!wanted) return true;
  return wanted.every((w) => {
    const i = w.indexOf('=');
    return i === -1 ? w in labels : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

export function matchNotLabels(labels: Record<string, string>, unwanted: string[] | undefined): boolean {
  if (!unwanted) return true;
  return unwanted.every((w) => {
    const i = w.indexOf('=');
    return i === -1 ? !(w in labels) : labels[w.slice(0, i)] !== w.slice(i + 1);
  });
}

/** `until` as Docker accepts it: RFC3339 time, unix seconds, or a Go duration ago. */
export function parseTimeFilter(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (d) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return now - Number(d[1]) * mult[d[2]];
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`invalid time: ${v}`);
  return t;
}

/**
 * A prune's filters checked against the keys it takes (Docker's `invalid filter 'k'`), and
 * its `until` as a time in ms (the last one given wins), if any.
 */
export function pruneUntil(filters: Map<string, string[]>, accepted: readonly string[]): number | undefined {
  for (const k of filters.keys()) if (!accepted.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  let until: number | undefined;
  for (const u of filters.get('until') ?? []) {
    try {
      until = parseTimeFilter(u);
    } catch {
      throw invalidArgument(`invalid filter 'until=${u}'`);
    }
  }
  return until;
}
