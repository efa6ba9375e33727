// The docker CLI's TLS settings: --tls (encrypt, do not check the daemon), --tlsverify or
// DOCKER_TLS_VERIFY (check the daemon's certificate against the CA), DOCKER_TLS; the CA,
// certificate and key from --tlscacert/--tlscert/--tlskey, else ca.pem, cert.pem, key.pem
// in $DOCKER_CERT_PATH (or ~/.docker). A client certificate is sent when there is one.
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClientTls } from './endpoint.ts';

export interface TlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

const set = (v: string | undefined) => v !== undefined && v !== '';

export function clientTls(f: TlsFlags, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const verify = Boolean(f.tlsverify) || set(env.DOCKER_TLS_VERIFY);
  const on = verify || Boolean(f.tls) || set(env.DOCKER_TLS);
  if (!on) return undefined;
  const dir = env.DOCKER_CERT_PATH || join(env.HOME || homedir(), '.docker');
  const read = (given: string | undefined, dflt: string, what: string): Buffer | undefined => {
    const p = given || join(dir, dflt);
    if (!given && !existsSync(p)) return undefined;
    try {
      return readFileSync(p);
    } catch (err) {
      throw new Error(`could not read ${what} "${p}": ${(err as Error).message}`);
    }
  };
  const out: ClientTls = { verify };
  if (verify) {
    out.ca = read(f.tlscacert, 'ca.pem', 'CA certificate');
    if (!out.ca) throw new Error(`could not read CA certificate "${join(dir, 'ca.pem')}": no such file`);
  }
  const cert = read(f.tlscert, 'cert.pem', 'certificate');
  const key = read(f.tlskey, 'key.pem', 'key');
  if (cert && key) {
    out.cert = cert;
    out.key = key;
  } else if (f.tlscert || f.tlskey) throw new Error('--tlscert and --tlskey must be given together');
  return out;
}
