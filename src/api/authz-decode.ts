// The bodies authorization judges, decoded exactly as their handlers decode them (the same
// api/decode types: Go's case-insensitive names, last duplicate wins …), so what a policy
// allowed is what runs: no spelling the handler reads differently slips past it.
import { decodeJson, type GoType } from './decode/go-json.ts';
import { containerCreateBody, execCreateBody } from './decode/containers.ts';
import { volumeCreateBody } from './decode/volumes.ts';

const DECODED: [string, RegExp, GoType<unknown>][] = [
  ['POST', /^\/containers\/create$/, containerCreateBody as GoType<unknown>],
  ['POST', /^\/containers\/[^/]+\/exec$/, execCreateBody as GoType<unknown>],
  ['POST', /^\/volumes\/create$/, volumeCreateBody as GoType<unknown>],
];

/** The decoded body of a request authorization looks into; undefined for the others. A body the handler would refuse throws its error. */
export function decodeForAuthz(method: string, path: string, body: Buffer | undefined): unknown {
  const hit = DECODED.find(([m, re]) => m === method && re.test(path));
  if (!hit) return undefined;
  return decodeJson(hit[2], body?.toString('utf8') ?? '');
}
