import { invalidArgument } from './errors.ts';

/** Parses JSON from an untrusted source, dropping prototype-polluting keys. */
export function parseJsonSafe(text: string, what = 'JSON'): unknown {
  try {
    return JSON.parse(text, (k, v) => (k === '__proto__' || k === 'constructor' ? undefined : v));
  } catch (err) {
    throw invalidArgument(`invalid ${what}: ${(err as Error).message}`);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
