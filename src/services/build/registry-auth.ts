// Picks the X-Registry-Config entry for a registry: keys are as the docker CLI stores them
// (`127.0.0.1:5000`, `https://index.docker.io/v1/`, sometimes with a scheme or path).
import type { Credentials } from '../../registry/auth.ts';

function hostOf(key: string): string {
  const h = key
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]
    .toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

export function authFor(config: Record<string, Credentials> | undefined, domain: string): Credentials | undefined {
  if (!config) return undefined;
  const want = hostOf(domain);
  for (const [k, v] of Object.entries(config)) if (hostOf(k) === want) return v;
  return undefined;
}
