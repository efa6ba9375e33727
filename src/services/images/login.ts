// POST /auth: checks credentials against a registry's /v2/ (Basic or a token from its
// realm). Nothing is stored daemon-side; the CLI keeps them in ~/.docker/config.json.
import type { OpContext } from '../../common/context.ts';
import { invalidArgument, unauthorized } from '../../common/errors.ts';
import { DEFAULT_DOMAIN } from '../../common/reference.ts';
import type { Credentials } from '../../registry/auth.ts';
import { connect } from '../../registry/hosts.ts';
import type { DistributionDeps } from './distribution-deps.ts';
import type { AuthResponse } from '../../api/types/registry.ts';

/** `https://index.docker.io/v1/`, `127.0.0.1:5000`, `http://x:1/` → the registry's host name. */
export function registryHost(serverAddress: string | undefined): string {
  if (!serverAddress) return DEFAULT_DOMAIN;
  const host = serverAddress.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (!host) throw invalidArgument(`invalid server address ${serverAddress}`);
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? DEFAULT_DOMAIN : host;
}

export async function login(
  deps: DistributionDeps,
  ctx: OpContext,
  auth: Credentials & { serveraddress?: string },
): Promise<AuthResponse> {
  const host = registryHost(auth.serveraddress);
  if (!auth.username && !auth.identitytoken) throw invalidArgument('username is required');
  const clients = await connect(host, deps.registry, auth, { signal: ctx.signal, forPush: true });
  try {
    await clients[0].ping(ctx.signal);
  } catch (err) {
    if ((err as { kind?: string }).kind === 'unauthorized') {
      throw unauthorized(`login attempt to ${clients[0].endpoint.base}/v2/ failed with status: 401 Unauthorized`, err);
    }
    throw err;
  }
  return { Status: 'Login Succeeded', IdentityToken: '' };
}
