// Debian's docker-registry on 127.0.0.1 with a random port, a temp storage dir and a
// config we write: plain HTTP, or TLS with a CA made here by openssl plus htpasswd auth.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRegistry {
  host: string;
  port: number;
  dir: string;
  caPem?: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export const hasRegistry = (() => {
  try {
    execFileSync('test', ['-x', '/usr/bin/docker-registry']);
    return true;
  } catch {
    return false;
  }
})();

export async function startRegistry(
  opts: { tls?: boolean; users?: Record<string, string>; extraYaml?: string } = {},
): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-'));
  const port = await freePort();
  let yaml = `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`;
  let caPem: string | undefined;
  if (opts.tls) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=berth-test-ca',
        '-keyout',
        `${dir}/ca.key`,
        '-out',
        `${dir}/ca.crt`,
      ],
      { stdio: 'ignore' },
    );
    await writeFile(`${dir}/ext.cnf`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    execFileSync(
      'openssl',
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        `${dir}/srv.key`,
        '-out',
        `${dir}/srv.csr`,
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        `${dir}/srv.csr`,
        '-CA',
        `${dir}/ca.crt`,
        '-CAkey',
        `${dir}/ca.key`,
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${dir}/ext.cnf`,
        '-out',
        `${dir}/srv.crt`,
      ],
      { stdio: 'ignore' },
    );
    yaml += `  tls:\n    certificate: ${dir}/srv.crt\n    key: ${dir}/srv.key\n`;
    caPem = execFileSync('cat', [`${dir}/ca.crt`]).toString();
  }
  if (opts.users) {
    const lines = Object.entries(opts.users).map(([u, p]) =>
      execFileSync('htpasswd', ['-nbB', u, p]).toString().trim(),
    );
    await writeFile(`${dir}/htpasswd`, lines.join('\n') + '\n');
    yaml += `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${dir}/htpasswd\n`;
  }
  if (opts.extraYaml) yaml += opts.extraYaml;
  await writeFile(`${dir}/config.yml`, yaml);
  const proc: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', `${dir}/config.yml`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${err}`);
    try {
      execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' });
      break;
    } catch {
      /* not yet */
    }
    if (performance.now() > deadline) throw new Error(`docker-registry did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    caPem,
    async stop() {
      if (proc.exitCode === null) {
        const e = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await e;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
