// Credential helpers: credsStore / credHelpers in config.json run docker-credential-<name>
// (a shell script of ours on a temp PATH) for login, pull and logout; the secret never
// lands in config.json; a missing helper is a clear error.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarToBuffer } from '../src/tar/writer.ts';
import { hasDockerCli, isRoot, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { addImage, startFakeRegistry, type FakeRegistry } from './helpers/fake-registry.ts';

const script = (dir: string) => `#!/bin/sh
d=${dir}/store
echo "$1" >> ${dir}/calls
key() { printf %s "$1" | tr -c 'A-Za-z0-9' _; }
case "$1" in
get) read -r url; f="$d/$(key "$url")"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
store) json=$(cat); url=$(printf %s "$json" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p'); printf %s "$json" > "$d/$(key "$url")" ;;
erase) read -r url; f="$d/$(key "$url")"; [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; rm "$f" ;;
*) echo "unknown action" >&2; exit 2 ;;
esac
`;

describe('credential helpers', { skip: !isRoot && 'needs root' }, () => {
  let d!: TestDaemon;
  let reg!: FakeRegistry;
  let dir!: string;
  const oldPath = process.env.PATH;
  useDaemon((x) => (d = x), { busybox: false });
  before(async () => {
    reg = await startFakeRegistry({ bearer: true });
    addImage(reg, 'priv/app', '1', [
      await tarToBuffer([{ entry: { name: 'f', type: 'file', mode: 0o644 }, body: 'hi' }]),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'berth-cred-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'store'));
    writeFileSync(join(dir, 'bin', 'docker-credential-test'), script(dir));
    chmodSync(join(dir, 'bin', 'docker-credential-test'), 0o755);
    process.env.PATH = `${join(dir, 'bin')}:${oldPath}`; // runCli passes process.env on
  });
  after(async () => {
    process.env.PATH = oldPath;
    await reg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cfgDir = () => join(d.root, 'docker-config');
  const writeCfg = (c: object) => {
    mkdirSync(cfgDir(), { recursive: true });
    writeFileSync(join(cfgDir(), 'config.json'), JSON.stringify(c));
  };
  const stored = () => readdirSync(join(dir, 'store'));
  const calls = () =>
    existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean) : [];

  test('credsStore: login stores through the helper, pull reads it, logout erases it', async () => {
    writeCfg({ credsStore: 'test' });
    const bad = await runCli('berth', d, ['login', reg.host, '-u', 'bob', '--password-stdin'], 'wrong\n');
    assert.notEqual(bad.code, 0);
    assert.deepEqual(stored(), [], 'a failed login stores nothing');
    const ok = await runCli('berth', d, ['login', reg.host, '-u', 'bob', '--password-stdin'], 'pw\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Login Succeeded/);
    assert.doesNotMatch(ok.stderr, /unencrypted/);
    const cfg = readFileSync(join(cfgDir(), 'config.json'), 'utf8');
    assert.ok(!cfg.includes(Buffer.from('bob:pw').toString('base64')) && !cfg.includes('"pw"'), cfg);
    assert.equal(stored().length, 1);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'store', stored()[0]), 'utf8')), {
      ServerURL: reg.host,
      Username: 'bob',
      Secret: 'pw',
    });
    const pull = await runCli('berth', d, ['pull', `${reg.host}/priv/app:1`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok(calls().includes('get'));
    const out = await runCli('berth', d, ['logout', reg.host]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Removing login credentials/);
    assert.deepEqual(stored(), []);
    assert.ok(calls().includes('erase'));
    const anon = await runCli('berth', d, ['pull', `${reg.host}/priv/app:1`]);
    assert.notEqual(anon.code, 0, 'no credentials after logout');
  });

  test('credHelpers picks the helper per registry host', async () => {
    writeFileSync(
      join(dir, 'store', reg.host.replace(/[^A-Za-z0-9]/g, '_')),
      JSON.stringify({ ServerURL: reg.host, Username: 'bob', Secret: 'pw' }),
    );
    writeCfg({
      credHelpers: { [reg.host]: 'test' },
      auths: { [reg.host]: { auth: Buffer.from('bob:wrong').toString('base64') } },
    });
    await d.api('DELETE', `/images/${encodeURIComponent(`${reg.host}/priv/app:1`)}`);
    const pull = await runCli('berth', d, ['pull', `${reg.host}/priv/app:1`]);
    assert.equal(pull.code, 0, pull.stderr);
  });

  test('a missing helper is a clear error', async () => {
    writeCfg({ credsStore: 'missing' });
    const r = await runCli('berth', d, ['pull', `${reg.host}/priv/app:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /docker-credential-missing.*not found/);
  });

  test('docker login through the same helper is read by berth', {
    skip: !hasDockerCli() && 'no docker CLI',
  }, async () => {
    writeCfg({ credsStore: 'test' });
    for (const f of stored()) await rm(join(dir, 'store', f));
    const ok = await runCli('docker', d, ['login', reg.host, '-u', 'bob', '--password-stdin'], 'pw\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(stored().length, 1);
    await d.api('DELETE', `/images/${encodeURIComponent(`${reg.host}/priv/app:1`)}`);
    const pull = await runCli('berth', d, ['pull', `${reg.host}/priv/app:1`]);
    assert.equal(pull.code, 0, pull.stderr);
  });
});
