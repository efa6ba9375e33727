// X-Registry-Config (POST /build): base64 JSON map of registry → auth config, as the docker
// CLI sends every credential it has so FROM can pull from private registries.
import { decodeBase64Json } from '../http.ts';
import type { AuthConfig } from '../types/registry.ts';
import { hasCredentials, headerAuth } from './distribution.ts';

export function decodeRegistryConfig(header: string | string[] | undefined): Record<string, AuthConfig> {
  const v = decodeBase64Json(header, 'X-Registry-Config');
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, AuthConfig> = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    const x = headerAuth(raw);
    // An `auth` field (base64 user:password) as config.json keeps it.
    if (!x.username && x.auth) {
      const plain = Buffer.from(x.auth, 'base64').toString('utf8');
      const i = plain.indexOf(':');
      if (i > 0) {
        x.username = plain.slice(0, i);
        x.password = plain.slice(i + 1);
      }
    }
    if (hasCredentials(x)) {
      out[k] = {
        username: x.username,
        password: x.password,
        serveraddress: x.serveraddress,
        identitytoken: x.identitytoken,
        registrytoken: x.registrytoken,
      };
    }
  }
  return out;
}
