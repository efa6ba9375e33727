// ~/.docker/config.json (or $DOCKER_CONFIG/config.json) `auths`: base64 "user:password"
// per registry, as docker login writes it, so berth and docker share logins. A registry
// with a credential helper (credHelpers[host], else credsStore) keeps its secret there.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { helperErase, helperGet, helperStore } from '../client/credential-helper.ts';

export interface AuthEntry {
  username?: string;
  password?: string;
  serveraddress: string;
  identitytoken?: string;
}
interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export const HUB_KEY = 'https://index.docker.io/v1/';

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

function read(env: NodeJS.ProcessEnv): ConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(env), 'utf8')) as ConfigFile;
  } catch {
    return {};
  }
}

/** The key docker uses: the Hub's v1 URL for docker.io, else host[:port]. */
export function registryKey(server: string | undefined): string {
  if (!server) return HUB_KEY;
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host) ? HUB_KEY : host;
}

/** The registry host of an image reference (docker.io when it names none). */
export function registryOfImage(image: string): string {
  const i = image.indexOf('/');
  const first = i < 0 ? '' : image.slice(0, i);
  return first && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
}

/** The credential helper for a registry key, as docker picks it. */
function helperOf(cfg: ConfigFile, key: string): string | undefined {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return cfg.credHelpers?.[host] || cfg.credHelpers?.[key] || cfg.credsStore || undefined;
}

export function getAuth(env: NodeJS.ProcessEnv, server: string): AuthEntry | undefined {
  const key = registryKey(server);
  const cfg = read(env);
  const helper = helperOf(cfg, key);
  if (helper) {
    const c = helperGet(helper, key, env);
    return c ? { serveraddress: key, ...c } : undefined;
  }
  const e = cfg.auths?.[key];
  if (!e) return undefined;
  if (e.identitytoken) return { serveraddress: key, identitytoken: e.identitytoken };
  if (!e.auth) return undefined;
  const s = Buffer.from(e.auth, 'base64').toString('utf8');
  const c = s.indexOf(':');
  return { serveraddress: key, username: s.slice(0, c), password: s.slice(c + 1) };
}

/** X-Registry-Auth for an image's registry ({} when not logged in). */
export function registryAuthHeader(env: NodeJS.ProcessEnv, image: string): string {
  return Buffer.from(JSON.stringify(getAuth(env, registryOfImage(image)) ?? {})).toString('base64url');
}

function write(env: NodeJS.ProcessEnv, cfg: ConfigFile): void {
  const p = configPath(env);
  mkdirSync(join(p, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${p}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, p);
}

/** Saves a login; returns the config file's path when the secret went into it (no helper). */
export function storeAuth(
  env: NodeJS.ProcessEnv,
  server: string,
  a: { username: string; password: string; identitytoken?: string },
): string | undefined {
  const cfg = read(env);
  const key = registryKey(server);
  const helper = helperOf(cfg, key);
  if (helper) {
    helperStore(helper, key, a.identitytoken ? { identitytoken: a.identitytoken } : a, env);
    // Docker keeps an empty entry so `docker login` lists the registry; never the secret.
    if (cfg.auths?.[key]?.auth || cfg.auths?.[key]?.identitytoken || (cfg.credsStore && !cfg.auths?.[key])) {
      cfg.auths = { ...cfg.auths, [key]: {} };
      write(env, cfg);
    }
    return undefined;
  }
  cfg.auths = {
    ...cfg.auths,
    [key]: a.identitytoken
      ? { identitytoken: a.identitytoken }
      : { auth: Buffer.from(`${a.username}:${a.password}`).toString('base64') },
  };
  write(env, cfg);
  return configPath(env);
}

export function removeAuth(env: NodeJS.ProcessEnv, server: string): boolean {
  const cfg = read(env);
  const key = registryKey(server);
  const helper = helperOf(cfg, key);
  const erased = helper ? helperErase(helper, key, env) : false;
  if (!cfg.auths?.[key]) return erased;
  delete cfg.auths[key];
  write(env, cfg);
  return true;
}
