// The step cache key: parent image, the resulting config, what the step does (its
// created_by with build args in scope expanded) and the content of whatever it copies.
import { createHash } from 'node:crypto';
import type { RunConfig } from '../../oci/image-spec.ts';

export function stepKey(parts: {
  parent: string;
  config: RunConfig;
  createdBy: string;
  files?: string;
  platform?: string;
}): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([1, parts.parent, parts.createdBy, parts.files ?? '', parts.platform ?? '', sortKeys(parts.config)]),
  );
  return h.digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
