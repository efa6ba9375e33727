// Image reference helpers (distribution/reference's normalisation, the common cases).

export interface Ref {
  /** Normalised name, e.g. docker.io/library/busybox */
  name: string;
  tag?: string;
  digest?: string;
}

const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** reference.ParseNormalizedNamed; throws docker's "invalid reference format" errors. */
export function parseNormalizedNamed(s: string): Ref {
  if (/^[0-9a-f]{64}$/.test(s))
    throw new Error(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) throw new Error('invalid reference format');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error('invalid reference format');
  }
  if (rest === '') throw new Error('invalid reference format');
  const parts = rest.split('/');
  let domain = '';
  if (
    parts.length > 1 &&
    (parts[0]!.includes('.') ||
      parts[0]!.includes(':') ||
      parts[0] === 'localhost' ||
      parts[0] !== parts[0]!.toLowerCase())
  ) {
    domain = parts.shift()!;
  }
  if (parts.some((p) => p !== p.toLowerCase()))
    throw new Error('invalid reference format: repository name (library/' + rest + ') must be lowercase');
  if (!parts.every((p) => NAME_COMPONENT.test(p))) throw new Error('invalid reference format');
  if (!domain) {
    domain = 'docker.io';
    if (parts.length === 1) parts.unshift('library');
  } else if (domain === 'index.docker.io') domain = 'docker.io';
  return { name: `${domain}/${parts.join('/')}`, tag, digest };
}

export function familiarName(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}
