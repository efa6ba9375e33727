// Engine API calls for images beyond the Client interface: search and build-cache prune.
import type { Client, Filters } from './index.ts';
import type { BuildPruneResponse, ImageSearchResult } from '../api/types/index.ts';

const nonEmpty = (f?: Filters) => (f && Object.keys(f).length ? f : undefined);

export const imageSearch = (
  c: Client,
  term: string,
  o: { limit?: number; filters?: Filters; registryAuth?: string } = {},
) =>
  c.transport.json<ImageSearchResult[]>('GET', '/images/search', {
    query: { term, limit: o.limit || undefined, filters: nonEmpty(o.filters) },
    headers: o.registryAuth !== undefined ? { 'X-Registry-Auth': o.registryAuth } : undefined,
  });

export const buildPrune = (c: Client, o: { all?: boolean; keepStorage?: number; filters?: Filters } = {}) =>
  c.transport.json<BuildPruneResponse>('POST', '/build/prune', {
    query: { all: o.all || undefined, 'keep-storage': o.keepStorage, filters: nonEmpty(o.filters) },
  });
