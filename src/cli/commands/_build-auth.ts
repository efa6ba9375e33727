// X-Registry-Config and --ulimit for berth build: every credential the CLI knows (config.json auths and
// credHelpers registries), keyed by registry as docker sends them, for FROM pulls.
import { readFileSync } from 'node:fs';
import { configPath, getAuth, type AuthEntry } from '../auth-config.ts';
import { CliError } from '../command.ts';
import { parseUlimit } from './container-values.ts';

export function registryConfigHeader(env: NodeJS.ProcessEnv): string | undefined {
  let cfg: { auths?: Record<string, unknown>; credHelpers?: Record<string, string> };
  try {
    cfg = JSON.parse(readFileSync(configPath(env), 'utf8'));
  } catch {
    return undefined;
  }
  const out: Record<string, AuthEntry> = {};
  for (const key of new Set([...Object.keys(cfg.auths ?? {}), ...Object.keys(cfg.credHelpers ?? {})])) {
    try {
      const a = getAuth(env, key);
      if (a) out[key] = a;
    } catch {
      /* a helper that fails leaves that registry anonymous */
    }
  }
  return Object.keys(out).length ? Buffer.from(JSON.stringify(out)).toString('base64url') : undefined;
}

/** The header object for a build request (none when the CLI has no credentials). */
export function registryConfig(env: NodeJS.ProcessEnv): Record<string, string> {
  const h = registryConfigHeader(env);
  return h ? { 'X-Registry-Config': h } : {};
}

/** --ulimit values as the `ulimits` query parameter (docker's JSON list). */
export function buildUlimits(values: string[]): string | undefined {
  if (!values.length) return undefined;
  try {
    return JSON.stringify(values.map(parseUlimit));
  } catch (err) {
    throw new CliError(`invalid argument for "--ulimit" flag: ${(err as Error).message}`, 125);
  }
}
