// Go type of POST /auth's body (moby api/types/registry at API 1.47).
import type { AuthConfig } from '../types/registry.ts';
import { str, struct } from './go-json.ts';

export const authConfig = struct<AuthConfig>('registry.AuthConfig', {
  username: str,
  password: str,
  auth: str,
  email: str,
  serveraddress: str,
  identitytoken: str,
  registrytoken: str,
});
