// Docker's credential helper protocol: `docker-credential-<name> get|store|erase`, the
// server URL (get, erase) or {ServerURL, Username, Secret} (store) on stdin, JSON on
// stdout. Synchronous like the config file reads around it (a helper answers at once);
// this is the one client module allowed node:child_process (docs/architecture.md).
import { spawnSync } from 'node:child_process';

export interface HelperCredentials {
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** A username of "<token>" means the secret is an identity token (Docker's convention). */
const TOKEN_USER = '<token>';
const NOT_FOUND = /credentials not found/i;

export class CredentialHelperError extends Error {}

function call(
  name: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  env: NodeJS.ProcessEnv,
): { ok: boolean; out: string } {
  const bin = `docker-credential-${name}`;
  const r = spawnSync(bin, [action], { input, env, encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 20 });
  const verb = action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing';
  if (r.error) {
    const why =
      (r.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `exec: "${bin}": executable file not found in $PATH`
        : r.error.message;
    throw new CredentialHelperError(`error ${verb} credentials - err: ${why}, out: \`\``);
  }
  const out = (r.stdout ?? '').trim();
  if (r.status !== 0) {
    if (NOT_FOUND.test(out)) return { ok: false, out };
    throw new CredentialHelperError(
      `error ${verb} credentials - err: exit status ${r.status}, out: \`${out || (r.stderr ?? '').trim()}\``,
    );
  }
  return { ok: true, out };
}

export function helperGet(name: string, server: string, env: NodeJS.ProcessEnv): HelperCredentials | undefined {
  const r = call(name, 'get', server, env);
  if (!r.ok) return undefined;
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(r.out);
  } catch {
    throw new CredentialHelperError(`error getting credentials - err: invalid JSON from docker-credential-${name}`);
  }
  if (!doc.Username && !doc.Secret) return undefined;
  if (doc.Username === TOKEN_USER) return { identitytoken: doc.Secret };
  return { username: doc.Username, password: doc.Secret };
}

export function helperStore(name: string, server: string, c: HelperCredentials, env: NodeJS.ProcessEnv): void {
  const body = c.identitytoken
    ? { ServerURL: server, Username: TOKEN_USER, Secret: c.identitytoken }
    : { ServerURL: server, Username: c.username ?? '', Secret: c.password ?? '' };
  call(name, 'store', JSON.stringify(body), env);
}

/** False when the helper had nothing for `server`. */
export function helperErase(name: string, server: string, env: NodeJS.ProcessEnv): boolean {
  return call(name, 'erase', server, env).ok;
}
