// Test certificates made with openssl: a CA, a server certificate for 127.0.0.1/localhost
// and client certificates by common name — plus a second, untrusted CA.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  /** Server certificate and key. */
  cert: string;
  key: string;
  /** Client certificate dirs (ca.pem, cert.pem, key.pem, as DOCKER_CERT_PATH wants) by CN. */
  clients: Record<string, string>;
  /** A client signed by another CA. */
  rogue: string;
}

/** berthd's mutual-TLS flags for this PKI's server certificate. */
export const serverTlsArgs = (pki: Pki): string[] => [
  '--tlsverify',
  '--tlscacert',
  pki.ca,
  '--tlscert',
  pki.cert,
  '--tlskey',
  pki.key,
];

const ssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function makeCa(dir: string, name: string): void {
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}-key.pem`], dir);
  ssl(
    ['req', '-x509', '-new', '-key', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`],
    dir,
  );
}

function issue(dir: string, ca: string, out: string, cn: string, ext: string): void {
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${out}-key.pem`], dir);
  ssl(['req', '-new', '-key', `${out}-key.pem`, '-out', `${out}.csr`, '-subj', `/CN=${cn}`], dir);
  writeFileSync(join(dir, `${out}.ext`), ext);
  ssl(
    [
      'x509',
      '-req',
      '-in',
      `${out}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}-key.pem`,
      '-CAcreateserial',
      '-out',
      `${out}.pem`,
      '-days',
      '2',
      '-extfile',
      `${out}.ext`,
    ],
    dir,
  );
}

/** A client's files laid out as DOCKER_CERT_PATH expects. */
function clientDir(dir: string, ca: string, name: string): string {
  const d = join(dir, `client-${name}`);
  mkdirSync(d, { recursive: true });
  execFileSync('cp', [join(dir, `${ca}.pem`), join(d, 'ca.pem')]);
  execFileSync('cp', [join(dir, `${name}.pem`), join(d, 'cert.pem')]);
  execFileSync('cp', [join(dir, `${name}-key.pem`), join(d, 'key.pem')]);
  return d;
}

export function makePki(dir: string, clients: string[]): Pki {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  issue(dir, 'ca', 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const out: Record<string, string> = {};
  for (const cn of clients) {
    issue(dir, 'ca', cn, cn, 'extendedKeyUsage=clientAuth\n');
    out[cn] = clientDir(dir, 'ca', cn);
  }
  issue(dir, 'rogue-ca', 'rogue', clients[0] ?? 'rogue', 'extendedKeyUsage=clientAuth\n');
  const rogue = clientDir(dir, 'rogue-ca', 'rogue');
  // The rogue client trusts the real CA for the server, so only its own certificate is wrong.
  execFileSync('cp', [join(dir, 'ca.pem'), join(rogue, 'ca.pem')]);
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
    clients: out,
    rogue,
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as { port: number };
      s.close(() => resolve(a.port));
    });
  });
}
