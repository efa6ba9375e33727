// The cache probe of every step: the local step cache (with --cache-from, only its hits that
// the named images descend from, as Docker's legacy builder), then the --cache-from images.
// A --cache-from hit is recorded in the local cache too, so the next build finds it there.
import type { RunConfig } from '../../oci/image-spec.ts';
import type { BuildPorts } from './ports.ts';
import type { BuildRequest } from './types.ts';

export async function probeCache(
  env: { ports: BuildPorts; req: BuildRequest },
  key: string,
  parent: string,
  createdBy: string,
  cfg: RunConfig,
): Promise<string | undefined> {
  if (env.req.noCache) return undefined;
  const local = await env.ports.cacheGet(key);
  const sources = env.req.cacheFrom;
  const hit =
    local && sources.length && env.ports.inCacheFromChain && !env.ports.inCacheFromChain(sources, local)
      ? undefined
      : local;
  if (hit || !sources.length || !env.ports.cacheFrom) return hit;
  const id = await env.ports.cacheFrom(env.req.cacheFrom, parent, createdBy, cfg);
  if (id) await env.ports.cachePut(key, id);
  return id;
}
