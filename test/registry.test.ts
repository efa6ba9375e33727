// Pull, push, login, save/load against Debian's docker-registry on loopback, with skopeo
// for interoperability and the real docker CLI for the progress stream and archives.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, useDaemon, runCli, hasDockerCli, type TestDaemon } from './helpers/daemon.ts';
import { hasRegistry, startRegistry, type TestRegistry } from './helpers/registry.ts';

const skip = !isRoot ? 'needs root' : !hasRegistry ? 'needs docker-registry (scripts/setup installs it)' : false;

export function lines(body: Buffer | string): Record<string, any>[] {
  return body
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

export const authHeader = (a: object) => Buffer.from(JSON.stringify(a)).toString('base64url');

describe('registry: push and pull over plain HTTP', { skip }, () => {
  let d!: TestDaemon;
  let reg!: TestRegistry;
  useDaemon((x) => (d = x));
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  test('push an imported image, then pull it back by tag and by digest, and run it', async () => {
    const name = `${reg.host}/team/app`;
    assert.equal((await d.api('POST', `/images/busybox/tag?repo=${name}&tag=1.2`)).status, 201);
    const push = await d.api('POST', `/images/${encodeURIComponent(name)}/push?tag=1.2`, {
      headers: { 'X-Registry-Auth': authHeader({}) },
    });
    assert.equal(push.status, 200);
    const msgs = lines(push.body);
    assert.ok(!msgs.some((m) => m.error), push.body.toString());
    const aux = msgs.find((m) => m.aux)?.aux;
    assert.match(aux.Digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(msgs.some((m) => m.status === 'Pushed'));

    // skopeo reads the same manifest digest
    const inspect = JSON.parse(
      execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${name}:1.2`]).toString(),
    );
    assert.equal(inspect.Digest, aux.Digest);

    // pushing again: same digest, layers already there
    const again = lines((await d.api('POST', `/images/${encodeURIComponent(name)}/push?tag=1.2`)).body);
    assert.equal(again.find((m) => m.aux)?.aux.Digest, aux.Digest);
    assert.ok(again.some((m) => m.status === 'Layer already exists'));

    // drop it locally, pull by tag
    const id = (await d.api('GET', `/images/${encodeURIComponent(name + ':1.2')}/json`)).json().Id;
    await d.api('DELETE', `/images/${encodeURIComponent(name + ':1.2')}`);
    const pull = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1.2`);
    assert.equal(pull.status, 200);
    const pm = lines(pull.body);
    assert.ok(!pm.some((m) => m.error), pull.body.toString());
    assert.equal(pm.find((m) => m.status?.startsWith('Digest:'))?.status, `Digest: ${aux.Digest}`);
    assert.match(pm.at(-1)!.status, /^Status: (Downloaded newer image|Image is up to date) for /);
    const img = (await d.api('GET', `/images/${encodeURIComponent(name + ':1.2')}/json`)).json();
    assert.equal(img.Id, id, 'image ID survives push/pull');
    assert.deepEqual(img.RepoDigests, [`${name}@${aux.Digest}`]);

    // pull by digest is a no-op now and says so
    const byDigest = lines(
      (await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${name}@${aux.Digest}`)}`)).body,
    );
    assert.ok(byDigest.some((m) => m.status === 'Already exists'));

    // pulled again by tag: up to date, and nothing in the store is written again (the
    // config comes from the content store; names already on the image stay as they are)
    const refs = join(d.dataRoot, 'images', 'repositories.json');
    const written = statSync(refs).mtimeMs;
    const repull = lines((await d.api('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1.2`)).body);
    assert.match(repull.at(-1)!.status, /^Status: Image is up to date for /);
    assert.equal(statSync(refs).mtimeMs, written);

    const run = await runCli('berth', d, ['run', '--rm', `${name}:1.2`, 'echo', 'hi']);
    assert.equal(run.stdout.trim(), 'hi', run.stderr);
  });

  test('a missing image is an HTTP 404 before any progress', async () => {
    const r = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/nope/nothing`)}&tag=1`);
    assert.equal(r.status, 404, r.body.toString());
    assert.match(r.json().message, /not found|manifest unknown/);
  });

  test('skopeo-pushed OCI image pulls and runs; berth run pulls a missing image', async () => {
    // skopeo copies berthd's save archive (docker-archive) into the registry as OCI
    const tar = await d.api('GET', '/images/busybox/get');
    assert.equal(tar.status, 200);
    const path = `${reg.dir}/bb.tar`;
    (await import('node:fs')).writeFileSync(path, tar.body);
    execFileSync('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      '--format',
      'oci',
      `docker-archive:${path}`,
      `docker://${reg.host}/skopeo/bb:oci`,
    ]);
    const r = await runCli('berth', d, ['run', '--rm', `${reg.host}/skopeo/bb:oci`, 'echo', 'from-skopeo']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Unable to find image/);
    assert.equal(r.stdout.trim(), 'from-skopeo');
  });

  test('docker CLI pulls through berthd and shows progress', { skip: !hasDockerCli() && 'no docker CLI' }, async () => {
    const r = await runCli('docker', d, ['pull', `${reg.host}/skopeo/bb:oci`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Digest: sha256:/);
  });

  test('save | load round trip preserves the image ID; docker CLI save/load', async () => {
    const id = (await d.api('GET', '/images/busybox/json')).json().Id;
    const tar = await d.api('GET', '/images/get?names=busybox');
    assert.equal(tar.status, 200);
    await d.api('POST', '/images/busybox/tag?repo=keep&tag=1');
    await d.api('DELETE', '/images/busybox');
    const load = await d.api('POST', '/images/load', {
      raw: tar.body,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    assert.equal(load.status, 200, load.body.toString());
    assert.match(load.body.toString(), /Loaded image: busybox:latest/);
    assert.equal((await d.api('GET', '/images/busybox/json')).json().Id, id);
    if (hasDockerCli()) {
      const s = await runCli('docker', d, ['save', '-o', `${reg.dir}/s.tar`, 'busybox']);
      assert.equal(s.code, 0, s.stderr);
      const l = await runCli('docker', d, ['load', '-i', `${reg.dir}/s.tar`]);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /Loaded image: busybox:latest/);
    }
  });

  test('an archive with ../ entries is refused and records nothing', async () => {
    const { tarToBuffer } = await import('../src/tar/writer.ts');
    const bad = await tarToBuffer([{ entry: { name: '../evil', type: 'file' }, body: 'x' }]);
    const before = (await d.api('GET', '/images/json')).json().length;
    const r = await d.api('POST', '/images/load', { raw: bad });
    // dockerd answers a load 200 and reports its failure in the stream.
    assert.equal(r.status, 200);
    assert.match(lines(r.body).at(-1)!.errorDetail.message, /not allowed/);
    assert.equal((await d.api('GET', '/images/json')).json().length, before);
  });

  for (const cli of ['berth', 'docker'] as const) {
    test(`${cli} pull --all-tags pulls every tag the repository lists`, {
      skip: cli === 'docker' && !hasDockerCli() && 'no docker CLI',
    }, async () => {
      const name = `${reg.host}/alltags/${cli}`;
      for (const t of ['1', '2', 'latest']) {
        assert.equal((await d.api('POST', `/images/busybox/tag?repo=${name}&tag=${t}`)).status, 201);
        const p = await d.api('POST', `/images/${encodeURIComponent(name)}/push?tag=${t}`, {
          headers: { 'X-Registry-Auth': authHeader({}) },
        });
        assert.ok(!lines(p.body).some((m) => m.error), p.body.toString());
        assert.equal((await d.api('DELETE', `/images/${encodeURIComponent(`${name}:${t}`)}`)).status, 200);
      }
      const r = await runCli(cli, d, ['pull', '-a', name]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /1: Pulling from alltags/);
      assert.match(r.stdout, new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${name}\\n`));
      for (const t of ['1', '2', 'latest'])
        assert.equal((await d.api('GET', `/images/${encodeURIComponent(`${name}:${t}`)}/json`)).status, 200, t);
      const bad = await runCli(cli, d, ['pull', '-a', `${name}:1`]);
      assert.notEqual(bad.code, 0);
    });
  }

  test('search falls back to the catalog', async () => {
    const r = await d.api('GET', `/images/search?term=${encodeURIComponent(reg.host + '/team')}`);
    assert.equal(r.status, 200, r.body.toString());
    assert.ok(r.json().some((x: { name: string }) => x.name === `${reg.host}/team/app`));
  });
});

describe('registry: TLS with our own CA and htpasswd basic auth', { skip }, () => {
  let d!: TestDaemon;
  let reg!: TestRegistry;
  const certDir = () => `/etc/berth/certs.d/${reg.host}`;
  useDaemon((x) => (d = x));
  before(async () => {
    reg = await startRegistry({ tls: true, users: { alice: 's3cret' } });
    const fs = await import('node:fs');
    fs.mkdirSync(certDir(), { recursive: true });
    fs.writeFileSync(`${certDir()}/ca.crt`, reg.caPem!);
  });
  after(async () => {
    (await import('node:fs')).rmSync(certDir(), { recursive: true, force: true });
    await reg?.stop();
  });

  test('wrong password is a clear 401; login stores config.json auths; push and pull with them', async () => {
    const bad = await runCli('berth', d, ['login', reg.host, '-u', 'alice', '--password-stdin'], 'nope\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /401 Unauthorized/);
    assert.doesNotMatch(bad.stderr + bad.stdout, /nope/);
    const ok = await runCli('berth', d, ['login', reg.host, '-u', 'alice', '--password-stdin'], 's3cret\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Login Succeeded/);
    const cfg = JSON.parse((await import('node:fs')).readFileSync(`${d.root}/docker-config/config.json`, 'utf8'));
    assert.equal(cfg.auths[reg.host].auth, Buffer.from('alice:s3cret').toString('base64'));

    const name = `${reg.host}/alice/app:1`;
    assert.equal((await runCli('berth', d, ['tag', 'busybox', name])).code, 0);
    const push = await runCli('berth', d, ['push', name]);
    assert.equal(push.code, 0, push.stderr + push.stdout);
    assert.match(push.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
    // anonymous push is refused
    const anon = await d.api('POST', `/images/${encodeURIComponent(`${reg.host}/alice/app`)}/push?tag=1`);
    assert.match(
      anon.status === 200 ? anon.body.toString() : anon.json().message,
      /unauthorized|authentication required/,
    );

    await runCli('berth', d, ['rmi', name]);
    const pull = await runCli('berth', d, ['pull', name]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date) for/);
    const digests = await runCli('berth', d, ['image', 'inspect', '-f', '{{.RepoDigests}}', name]);
    assert.match(digests.stdout, new RegExp(`${reg.host}/alice/app@sha256:`));

    const out = await runCli('berth', d, ['logout', reg.host]);
    assert.match(out.stdout, /Removing login credentials/);
  });
});
