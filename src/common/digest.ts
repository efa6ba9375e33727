import { createHash } from 'node:crypto';
import { invalidArgument } from './errors.ts';

/** "sha256:<64 hex>" */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export const isDigest = (s: string): s is Digest => DIGEST_RE.test(s);

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw invalidArgument(`invalid digest: ${JSON.stringify(s)}`);
  return s;
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export const hexOf = (d: Digest) => d.slice('sha256:'.length);

/** containerd/Docker chain ID: chain(n) = sha256(chain(n-1) + " " + diffID(n)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}
