// The API over TCP with mutual TLS, as dockerd serves it: the docker CLI and berth CLI with
// --tlsverify (or DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) get in; no certificate, a certificate
// from another CA, or TLS below 1.2 do not. Plain TCP off loopback is refused unless
// --tls=false says it is meant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  berthdMain,
  scratchDaemonArgs,
  berthMain,
  hasDockerCli,
  importBusybox,
  isRoot,
  startDaemon,
  type TestDaemon,
} from './helpers/daemon.ts';
import { freePort, makePki, type Pki, serverTlsArgs } from './helpers/certs.ts';
import { cleanClientEnv, runProcess } from './helpers/process.ts';
import { before, after } from 'node:test';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
let pki: Pki;
let port: number;
let scratch: string;

before(
  async () => {
    if (!isRoot) return;
    scratch = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    pki = makePki(join(scratch, 'pki'), ['alice']);
    port = await freePort();
    d = await startDaemon({
      extraArgs: ['-H', `tcp://127.0.0.1:${port}`, ...serverTlsArgs(pki)],
    });
    await importBusybox(d);
  },
  { timeout: 60_000 },
);
after(async () => {
  if (d) await d.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const run = (cmd: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000) =>
  runProcess(cmd, args, { env: cleanClientEnv({ DOCKER_CONFIG: join(scratch, 'docker-config'), ...env }), timeoutMs });

const tcp = () => `tcp://127.0.0.1:${port}`;
/** -H and the --tlsverify file flags for one client directory (ca.pem, cert.pem, key.pem). */
const tlsFlags = (dir: string, ca = join(dir, 'ca.pem')) => [
  '-H',
  tcp(),
  '--tlsverify',
  '--tlscacert',
  ca,
  '--tlscert',
  join(dir, 'cert.pem'),
  '--tlskey',
  join(dir, 'key.pem'),
];

test('docker CLI with --tlsverify and a client certificate talks to berthd over TCP, attach included', {
  skip: skip || (!hasDockerCli() && 'no docker CLI'),
}, async () => {
  const c = pki.clients.alice;
  const flags = tlsFlags(c);
  const v = await run('docker', [...flags, 'version', '--format', '{{.Server.Version}}'], {});
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /\d+\.\d+/);
  const r = await run('docker', [...flags, 'run', '--rm', 'busybox', 'echo', 'over-tls'], {});
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'over-tls');
  // The environment form: DOCKER_TLS_VERIFY + DOCKER_CERT_PATH.
  const e = await run('docker', ['info', '--format', '{{.ServerVersion}}'], {
    DOCKER_HOST: tcp(),
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: c,
  });
  assert.equal(e.code, 0, e.stderr);
});

test('a docker CLI without a certificate, or with one from another CA, is refused', {
  skip: skip || (!hasDockerCli() && 'no docker CLI'),
}, async () => {
  const plain = await run('docker', ['-H', tcp(), 'version'], {}, 20_000);
  assert.notEqual(plain.code, 0, 'plain HTTP to a TLS port');
  assert.doesNotMatch(plain.stdout, /Server:/);
  // --tls alone encrypts but sends no client certificate (with an empty cert path).
  const empty = join(scratch, 'empty-certs');
  await run('mkdir', ['-p', empty], {});
  const nocert = await run('docker', ['-H', tcp(), '--tls', 'version'], { DOCKER_CERT_PATH: empty }, 20_000);
  assert.notEqual(nocert.code, 0, nocert.stdout);
  assert.doesNotMatch(nocert.stdout, /Server:/);
  assert.match(nocert.stderr, /certificate|tls|EOF|connection reset/i);
  const rogue = await run(
    'docker',
    ['version'],
    { DOCKER_HOST: tcp(), DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: pki.rogue },
    20_000,
  );
  assert.notEqual(rogue.code, 0, rogue.stdout);
  assert.doesNotMatch(rogue.stdout, /Server:/);
});

test('kill -HUP reloads under docker CLI sessions over TLS: the container, its logs -f and events streams stay', {
  skip: skip || (!hasDockerCli() && 'no docker CLI'),
}, async () => {
  const env = { DOCKER_HOST: tcp(), DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: pki.clients.alice };
  const docker = (args: string[]) => run('docker', args, env);
  const r = await docker([
    'run',
    '-d',
    'busybox',
    'sh',
    '-c',
    'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  const pidOf = async () =>
    (await docker(['inspect', '--format', '{{.State.Running}} {{.State.Pid}}', id])).stdout.trim();
  const before = await pidOf();
  assert.match(before, /^true \d+$/);
  // Two long-lived CLI connections: a followed log and an event stream.
  const follow = (args: string[]) => {
    const p = spawn('docker', args, {
      env: cleanClientEnv({ DOCKER_CONFIG: join(scratch, 'docker-config'), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { text: '', proc: p as ChildProcess };
    p.stdout.on('data', (c) => (out.text += c));
    return out;
  };
  const logs = follow(['logs', '-f', id]);
  const events = follow(['events', '--filter', 'type=daemon', '--format', '{{json .}}']);
  try {
    await until(() => logs.text.includes('tick'));
    const cfgPath = join(d.root, 'daemon.json');
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8'));
    await writeFile(cfgPath, JSON.stringify({ ...cfg, labels: ['reloaded=yes'] }));
    const seen = logs.text.length;
    const running = (await pidOf()).split(' ')[1];
    assert.ok(running);
    execFileSync('kill', ['-HUP', String(d.proc.pid)]);
    await until(() => events.text.includes('"Action":"reload"'));
    const ev = events.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.Action === 'reload');
    assert.equal(ev.Actor.Attributes.labels, JSON.stringify(['reloaded=yes']));
    const info = await docker(['info', '--format', '{{json .Labels}}']);
    assert.equal(info.code, 0, info.stderr);
    assert.deepEqual(JSON.parse(info.stdout), ['reloaded=yes']);
    // The same container process, the same CLI connections, still delivering.
    assert.equal(await pidOf(), before);
    await until(() => logs.text.length > seen + 200);
    assert.equal(logs.proc.exitCode, null, 'docker logs -f is still connected');
    assert.equal(events.proc.exitCode, null, 'docker events is still connected');
    const ex = await docker(['exec', id, 'echo', 'after-reload']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout.trim(), 'after-reload');
    await writeFile(cfgPath, JSON.stringify(cfg));
  } finally {
    logs.proc.kill();
    events.proc.kill();
    await docker(['rm', '-f', id]);
  }
});

/** Waits for a condition (checked every 50 ms), failing after 20 s. */
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${cond}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('TLS below 1.2 is refused; 1.2 with a client certificate is accepted', { skip }, async () => {
  const c = pki.clients.alice;
  const hello = (opts: Record<string, unknown>) =>
    new Promise<string>((resolve) => {
      const s = connect({
        host: '127.0.0.1',
        port,
        ca: readFileSync(join(c, 'ca.pem')),
        cert: readFileSync(join(c, 'cert.pem')),
        key: readFileSync(join(c, 'key.pem')),
        ...opts,
      });
      s.on('secureConnect', () => {
        s.write('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let out = '';
      s.on('data', (b) => (out += b));
      s.on('end', () => resolve(out));
      s.on('error', (err) => resolve(`error: ${err.message}`));
    });
  assert.match(await hello({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), /^HTTP\/1\.1 200/);
  assert.match(await hello({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), /^error/);
});

test('berth CLI: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or --tlsverify and the file flags', { skip }, async () => {
  const c = pki.clients.alice;
  const viaEnv = await run(process.execPath, [berthMain, 'run', '--rm', 'busybox', 'echo', 'berth-tls'], {
    DOCKER_HOST: tcp(),
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: c,
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(viaEnv.stdout.trim(), 'berth-tls');
  const viaFlags = await run(process.execPath, [berthMain, ...tlsFlags(c), 'version'], {});
  assert.equal(viaFlags.code, 0, viaFlags.stderr);
  // No TLS settings: the TLS port does not answer plain HTTP.
  const plain = await run(process.execPath, [berthMain, '-H', tcp(), 'version'], {}, 20_000);
  assert.notEqual(plain.code, 0);
  // A daemon certificate the client's CA did not sign is refused.
  const wrongCa = await run(
    process.execPath,
    [berthMain, ...tlsFlags(c, join(pki.dir, 'rogue-ca.pem')), 'version'],
    {},
  );
  assert.notEqual(wrongCa.code, 0);
  assert.match(wrongCa.stderr, /certificate|self.signed|verify/i);
});

/** Runs berthd with its own roots and returns its exit code and output (for start-up checks). */
async function berthdOnce(args: string[], config: Record<string, unknown> = {}, waitMs = 15_000) {
  const root = await mkdtemp(join(tmpdir(), 'berth-tlsonce-'));
  const cfg = join(root, 'daemon.json');
  await writeFile(cfg, JSON.stringify(config));
  const p = spawn(process.execPath, [berthdMain, ...scratchDaemonArgs(root, { config: cfg }), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  p.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => resolve(null), waitMs);
    p.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  if (code === null) {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
  await rm(root, { recursive: true, force: true });
  return { code, out };
}

test('plain TCP on a non-loopback address is refused unless --tls=false is explicit', { skip }, async () => {
  const p = await freePort();
  const refused = await berthdOnce(['-H', `tcp://0.0.0.0:${p}`]);
  assert.equal(refused.code, 1);
  assert.match(refused.out, /refusing to listen on tcp:\/\/0\.0\.0\.0:\d+ without TLS/);
  // --tlsverify=false is TLS without client certificates: also explicit, also loud.
  const explicit = await startDaemon({ extraArgs: ['-H', `tcp://0.0.0.0:${p}`, '--tls=false'] });
  try {
    assert.match(explicit.logs(), /LISTENING ON tcp:\/\/0\.0\.0\.0:\d+ WITHOUT TLS, AS EXPLICITLY REQUESTED/);
    const info = (await explicit.api('GET', '/info')).json();
    assert.ok(
      info.Warnings.some((w: string) => w.includes('without encryption')),
      JSON.stringify(info.Warnings),
    );
    const ping = await new Promise<string>((resolve, reject) =>
      httpGet(`http://127.0.0.1:${p}/_ping`, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      }).on('error', reject),
    );
    assert.equal(ping, 'OK');
  } finally {
    await explicit.cleanup();
  }
  // Loopback without TLS is allowed, with the warnings.
  const lo = await freePort();
  const local = await startDaemon({ extraArgs: ['-H', `tcp://127.0.0.1:${lo}`] });
  try {
    assert.match(local.logs(), /insecure and gives root access/);
  } finally {
    await local.cleanup();
  }
});

test('--validate checks TLS files and daemon.json and exits', { skip }, async () => {
  const ok = await berthdOnce(['--validate', ...serverTlsArgs(pki)]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /configuration OK/);
  const badKey = await berthdOnce([
    '--validate',
    '--tls',
    '--tlscert',
    pki.cert,
    '--tlskey',
    join(pki.dir, 'ca-key.pem'),
  ]);
  assert.equal(badKey.code, 1);
  assert.match(badKey.out, /invalid TLS configuration/);
  const refusedKey = await berthdOnce(['--validate'], { 'shutdown-timeout': 15 });
  assert.equal(refusedKey.code, 1);
  assert.match(refusedKey.out, /shutdown-timeout is not supported: berthd never stops containers/);
});
