import { randomBytes } from 'node:crypto';
import { invalidArgument } from './errors.ts';

/** A 64-hex object ID, as Docker's container and exec IDs. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export const isFullId = (s: string) => /^[0-9a-f]{64}$/.test(s);

// Docker's rule for container names (a leading slash is allowed and stripped).
const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Returns the name without its leading slash, or throws Docker's message. */
export function validateContainerName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.replace(/^\//, '');
}
