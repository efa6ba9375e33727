// Registries: /auth, X-Registry-Auth, /images/search, /distribution/{name}/json.
import type { OCIDescriptor, OCIPlatform } from './images.ts';

/** POST /auth's body, and the JSON in X-Registry-Auth / X-Registry-Config. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of "username:password", as config.json keeps it. */
  auth?: string;
  /** Deprecated, ignored. */
  email?: string;
  serveraddress?: string;
  /** A token from an earlier /auth, instead of a password. */
  identitytoken?: string;
  /** A bearer token sent to the registry as it is. */
  registrytoken?: string;
}

export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

/** GET /images/search: one result. */
export interface ImageSearchResult {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}

/** GET /distribution/{name}/json. */
export interface DistributionInspect {
  Descriptor: OCIDescriptor;
  Platforms: OCIPlatform[] | null;
}
