// Image references with Docker's normalisation: `busybox` is docker.io/library/busybox:latest,
// and is shown back to users in its familiar form. Grammar facts from distribution/reference.
import { invalidArgument } from './errors.ts';
import { isDigest, type Digest } from './digest.ts';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface Reference {
  readonly domain: string; // docker.io, localhost:5000 …
  readonly path: string; // library/busybox, team/app
  readonly tag?: string;
  readonly digest?: Digest;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

const bad = (why?: string) => invalidArgument(why ? `invalid reference format: ${why}` : 'invalid reference format');

function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    const path = name;
    return { domain: DEFAULT_DOMAIN, path: path.includes('/') ? path : `library/${path}` };
  }
  const domain = first === 'index.docker.io' ? DEFAULT_DOMAIN : first;
  const rest = name.slice(i + 1);
  return { domain, path: domain === DEFAULT_DOMAIN && !rest.includes('/') ? `library/${rest}` : rest };
}

/** Parses a user-supplied reference (`busybox`, `localhost:5000/a/b:1`, `x@sha256:…`). */
export function parseReference(input: string): Reference {
  if (input === '') throw bad();
  if (HEX64_RE.test(input)) {
    throw invalidArgument(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad();
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad();
  }
  if (rest === '') throw bad();
  const { domain, path } = splitDomain(rest);
  if (!DOMAIN_RE.test(domain)) throw bad();
  if (path.toLowerCase() !== path) throw bad(`repository name (${path}) must be lowercase`);
  for (const c of path.split('/')) if (!PATH_COMPONENT_RE.test(c)) throw bad();
  if (domain.length + 1 + path.length > NAME_MAX) throw bad('repository name must not be more than 255 characters');
  return { domain, path, tag, digest };
}

/** Adds `latest` when neither tag nor digest was given. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: DEFAULT_TAG };
}

/** Full name without tag: docker.io/library/busybox */
export const fullName = (r: Reference) => `${r.domain}/${r.path}`;

/** Familiar name without tag: busybox, team/app, localhost:5000/x */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  return r.path.startsWith('library/') && r.path.split('/').length === 2 ? r.path.slice('library/'.length) : r.path;
}

/** Familiar string as Docker prints it: busybox:latest, x@sha256:… */
export function familiarString(r: Reference): string {
  return familiarName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Validates a bare repository name (no tag), e.g. the `repo` of tag/import/commit. */
export function parseRepository(name: string): Reference {
  const r = parseReference(name);
  if (r.tag || r.digest) throw bad();
  return r;
}

export function validateTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw bad();
  return tag;
}
