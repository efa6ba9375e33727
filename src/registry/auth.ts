// Registry authentication: Basic, and Bearer tokens obtained from the realm a
// `WWW-Authenticate` challenge names (distribution's token spec). Tokens are cached per
// scope set until they expire; credentials are only ever sent to the registry host and
// its token realm.
import { unauthorized, unavailable } from '../common/errors.ts';
import { readLimited, send, type TlsSettings } from './transport.ts';

export interface Credentials {
  username?: string;
  password?: string;
  /** A refresh token from a previous login (OAuth2 grant). */
  identitytoken?: string;
  /** A bearer token to use as is. */
  registrytoken?: string;
}

export interface Challenge {
  scheme: string; // lower case: basic, bearer
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (several challenges may be listed). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    const re = /([A-Za-z][\w-]*)(?:\s+|$)((?:[\w-]+=(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g;
    for (let m; (m = re.exec(h)); ) {
      if (!m[0]) break;
      const params: Record<string, string> = {};
      for (const p of m[2].matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
        params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
      }
      out.push({ scheme: m[1].toLowerCase(), params });
    }
  }
  return out;
}

interface CachedToken {
  header: string;
  expires: number;
}

const MIN_TOKEN_LIFE_S = 60; // the token spec's default when expires_in is absent

export class Authorizer {
  private readonly creds: Credentials | undefined;
  private readonly tls: TlsSettings | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private challenge: Challenge | undefined;

  constructor(creds: Credentials | undefined, tls?: TlsSettings) {
    this.creds = creds && (creds.username || creds.identitytoken || creds.registrytoken) ? creds : undefined;
    this.tls = tls;
  }

  get hasCredentials(): boolean {
    return this.creds !== undefined;
  }

  /** The Authorization header to send for these scopes, if one is known. */
  cached(scopes: string[]): string | undefined {
    if (this.creds?.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return this.basic();
    const t = this.tokens.get(scopeKey(scopes));
    return t && t.expires > Date.now() ? t.header : undefined;
  }

  /** Handles a 401: learns the challenge and fetches what it asks for. */
  async authorize(
    wwwAuthenticate: string | string[] | undefined,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<string> {
    const all = parseChallenges(wwwAuthenticate);
    const ch = all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
    if (!ch) throw unauthorized('authentication required (the registry sent no usable challenge)');
    this.challenge = ch;
    if (ch.scheme === 'basic') {
      const b = this.basic();
      if (!b) throw unauthorized('authentication required: no basic auth credentials');
      return b;
    }
    const header = await this.fetchToken(ch.params, scopes, signal);
    this.tokens.set(scopeKey(scopes), header);
    return header.header;
  }

  private basic(): string | undefined {
    if (!this.creds?.username) return undefined;
    return 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64');
  }

  private async fetchToken(p: Record<string, string>, scopes: string[], signal?: AbortSignal): Promise<CachedToken> {
    if (!p.realm) throw unauthorized('bearer challenge without a realm');
    const realm = new URL(p.realm);
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:')
      throw unauthorized(`unsupported token realm ${p.realm}`);
    let res;
    if (this.creds?.identitytoken) {
      // OAuth2 refresh-token grant (what `docker login` stores as identitytoken).
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.creds.identitytoken,
        client_id: 'berth',
        service: p.service ?? '',
      });
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await send({
        method: 'POST',
        url: realm.toString(),
        body: Buffer.from(form.toString()),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        signal,
        tls: this.tls,
      });
    } else {
      if (p.service) realm.searchParams.set('service', p.service);
      for (const s of scopes) realm.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      const b = this.basic();
      if (b) headers.Authorization = b;
      res = await send({ method: 'GET', url: realm.toString(), headers, signal, tls: this.tls });
    }
    const body = await readLimited(res.body, 1 << 20, 'token response');
    if (res.status === 401 || res.status === 403) throw unauthorized(`unauthorized: incorrect username or password`);
    if (res.status !== 200)
      throw unavailable(`token server ${realm.host} answered ${res.status}: ${body.toString().slice(0, 200)}`);
    let j: { token?: string; access_token?: string; expires_in?: number };
    try {
      j = JSON.parse(body.toString());
    } catch {
      throw unavailable(`token server ${realm.host} sent invalid JSON`);
    }
    const token = j.token || j.access_token;
    if (!token) throw unavailable(`token server ${realm.host} sent no token`);
    const life = Math.max(MIN_TOKEN_LIFE_S, Number(j.expires_in) || MIN_TOKEN_LIFE_S);
    return { header: `Bearer ${token}`, expires: Date.now() + (life - 5) * 1000 };
  }
}

const scopeKey = (scopes: string[]) => [...scopes].sort().join(' ');
