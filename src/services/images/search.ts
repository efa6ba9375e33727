// GET /images/search: a registry's Docker Hub search API (/v1/search) when it has one,
// else its /v2/_catalog filtered by the term (private registries). The term may name a
// registry (`127.0.0.1:5000/app`); otherwise docker.io is asked, as Docker does.
import type { OpContext } from '../../common/context.ts';
import { invalidArgument } from '../../common/errors.ts';
import { DEFAULT_DOMAIN } from '../../common/reference.ts';
import type { Credentials } from '../../registry/auth.ts';
import { connect } from '../../registry/hosts.ts';
import type { DistributionDeps } from './distribution-deps.ts';
import type { ImageSearchResult as SearchResult } from '../../api/types/registry.ts';

export async function searchImages(
  deps: DistributionDeps,
  ctx: OpContext,
  term: string,
  limit: number,
  filters: Map<string, string[]>,
  auth?: Credentials,
): Promise<SearchResult[]> {
  if (limit < 1 || limit > 100) throw invalidArgument('limit must be between 1 and 100');
  for (const k of filters.keys())
    if (!['stars', 'is-official', 'is-automated'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const slash = term.indexOf('/');
  const first = slash > 0 ? term.slice(0, slash) : '';
  const hasHost = /[.:]/.test(first) || first === 'localhost';
  const host = hasHost ? first : DEFAULT_DOMAIN;
  const q = hasHost ? term.slice(slash + 1) : term;
  const [client] = await connect(host, deps.registry, auth, { signal: ctx.signal, forPush: true });
  let results: SearchResult[];
  const hub = await client.search(q, limit, ctx.signal).catch(() => undefined);
  if (hub) {
    results = (hub as Partial<SearchResult>[]).map((r) => ({
      name: hasHost ? `${host}/${r.name}` : String(r.name),
      description: r.description ?? '',
      star_count: r.star_count ?? 0,
      is_official: !!r.is_official,
      is_automated: !!r.is_automated,
    }));
  } else {
    const repos = await client.catalog(1000, ctx.signal);
    results = repos
      .filter((r) => r.includes(q))
      .map((r) => ({
        name: hasHost ? `${host}/${r}` : r,
        description: '',
        star_count: 0,
        is_official: false,
        is_automated: false,
      }));
  }
  const stars = Number(filters.get('stars')?.[0] ?? 0);
  const off = filters.get('is-official')?.[0];
  results = results.filter((r) => r.star_count >= stars && (off === undefined || r.is_official === (off === 'true')));
  return results.slice(0, limit);
}
