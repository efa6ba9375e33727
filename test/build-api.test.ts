// Build API details through the docker CLI's legacy builder (DOCKER_BUILDKIT=0), Docker's
// Python SDK and the raw API: extrahosts, errors of a quiet build (the output, then the
// errorDetail), outputs, platform, cachefrom as the legacy builder treats it, and
// /images/load's answers for archives that are not images. The daemon's default log driver
// is `none` here: build steps must still show their output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { hasPythonSdk, py } from './helpers/python.ts';
import { hasRegistry, startRegistry, type TestRegistry } from './helpers/registry.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;

function ctxDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bapi-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

const lines = (b: Buffer | string) =>
  b
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

describe('build API', { skip }, () => {
  let d!: TestDaemon;
  useDaemon((x) => (d = x), { config: { 'log-driver': 'none' } });
  const docker = async (args: string[], expect: number | null = 0, input?: string | Buffer) => {
    const r = await runCli('docker', d, args, input, 120_000);
    if (expect !== null) assert.equal(r.code, expect, `docker ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r;
  };
  before(() => {
    process.env.DOCKER_BUILDKIT = '0';
  });

  test('extrahosts: every --add-host reaches the RUN steps', async () => {
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN grep -E "foo|bar" /etc/hosts\n' });
    const r = await docker(['build', '--no-cache', '--add-host', 'foo:10.1.2.3', '--add-host', 'bar:10.1.2.4', dir]);
    assert.match(r.stdout, /10\.1\.2\.3\s+foo\n/);
    assert.match(r.stdout, /10\.1\.2\.4\s+bar\n/);
  });

  test('a quiet build that fails sends its output, then the error with its code', async () => {
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN echo visible-output && exit 3\n' });
    const r = await docker(['build', '-q', dir], 3);
    assert.match(r.stderr + r.stdout, /visible-output/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo visible-output && exit 3' returned a non-zero code: 3/);
    const tar = execFileSync('tar', ['-C', dir, '-c', '.']);
    const api = await d.api('POST', '/v1.47/build?q=1', { raw: tar, headers: { 'Content-Type': 'application/x-tar' } });
    assert.equal(api.status, 200);
    const msgs = lines(api.body);
    assert.ok(msgs.some((m) => m.stream?.includes('visible-output')));
    assert.deepEqual(msgs.at(-1).errorDetail, {
      code: 3,
      message: "The command '/bin/sh -c echo visible-output && exit 3' returned a non-zero code: 3",
    });
    assert.equal(msgs.at(-1).error, msgs.at(-1).errorDetail.message);
    // berth build -q shows the held output the same way.
    const b = await runCli('berth', d, ['build', '-q', dir]);
    assert.equal(b.code, 3);
    assert.match(b.stderr, /visible-output/);
    // A quiet build that works sends the image ID only.
    const ok = ctxDir({ Dockerfile: 'FROM busybox\nRUN echo quiet\n' });
    const q = await docker(['build', '-q', ok]);
    assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  test('Python SDK: build errors raise BuildError with the log; success returns the image', {
    skip: !hasPythonSdk && 'needs python3-docker',
  }, async () => {
    const bad = ctxDir({ Dockerfile: 'FROM busybox\nRUN echo from-the-step && exit 5\n' });
    const good = ctxDir({ Dockerfile: 'FROM busybox\nLABEL sdk=yes\n' });
    const r = await py(
      d,
      `
      try:
          client.images.build(path=${JSON.stringify(bad)}, rm=True)
          res = None
      except docker.errors.BuildError as e:
          res = {'msg': e.msg, 'log': ''.join(c.get('stream', '') for c in e.build_log)}
      img, logs = client.images.build(path=${JSON.stringify(good)}, tag='sdkbuilt:1')
      out({'err': res, 'labels': img.labels, 'tags': img.tags})
      `,
    );
    assert.equal(r.err.msg, "The command '/bin/sh -c echo from-the-step && exit 5' returned a non-zero code: 5");
    assert.match(r.err.log, /from-the-step/);
    assert.deepEqual(r.labels, { sdk: 'yes' });
    assert.deepEqual(r.tags, ['sdkbuilt:1']);
  });

  test('outputs: the image output is taken; others are refused, not ignored', async () => {
    const tar = execFileSync('tar', ['-C', ctxDir({ Dockerfile: 'FROM busybox\n' }), '-c', '.']);
    const post = (outputs: unknown, v = '1.47') =>
      d.api('POST', `/v${v}/build?outputs=${encodeURIComponent(JSON.stringify(outputs))}`, {
        raw: tar,
        headers: { 'Content-Type': 'application/x-tar' },
      });
    assert.equal((await post([{ Type: 'moby' }])).status, 200);
    const local = await post([{ Type: 'local', Attrs: { dest: '/tmp/out' } }]);
    assert.equal(local.status, 400);
    assert.match(local.json().message, /build output of type "local" is not supported/);
    const two = await post([{ Type: 'moby' }, { Type: 'tar' }]);
    assert.deepEqual([two.status, two.json().message], [400, 'multiple outputs not supported']);
    // Before API 1.40 the parameter does not exist (dockerd does not read it).
    assert.equal((await post([{ Type: 'local' }], '1.39')).status, 200);
  });

  test('platform: linux/amd64 builds; other systems and bad specifiers are refused', async () => {
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN uname -m\n' });
    const r = await docker([
      'build',
      '--no-cache',
      '--platform',
      `linux/${process.arch === 'x64' ? 'amd64' : 'arm64'}`,
      dir,
    ]);
    assert.match(r.stdout, /Successfully built/);
    const win = await docker(['build', '--platform', 'windows/amd64', dir], 1);
    assert.match(win.stderr, /unsupported platform windows\/amd64: Berth builds linux images only/);
    const bad = await docker(['build', '--platform', 'linux/amd64/v8/x', dir], 1);
    assert.match(bad.stderr, /unknown operating system or architecture/);
  });

  test('cachefrom as the legacy builder: only steps the named images descend from are cached', async () => {
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n' });
    await docker(['build', '-t', 'cf:1', dir]);
    const again = await docker(['build', dir]);
    assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 2);
    // Named images: the local cache serves what they descend from.
    const named = await docker(['build', '--cache-from', 'cf:1', dir]);
    assert.equal((named.stdout.match(/Using cache/g) ?? []).length, 2, named.stdout);
    // A name that is not there: skipped, and the local cache is not used either (moby's ImageCache).
    const missing = await docker(['build', '--cache-from', 'nosuch:1', dir]);
    assert.equal((missing.stdout.match(/Using cache/g) ?? []).length, 0, missing.stdout);
  });

  test("/images/load: archives that are not images get dockerd's words in the stream", async () => {
    const load = async (raw: Buffer) => {
      const r = await d.api('POST', '/images/load?quiet=1', { raw, headers: { 'Content-Type': 'application/x-tar' } });
      assert.equal(r.status, 200);
      return lines(r.body).at(-1);
    };
    const dir = ctxDir({ 'f.txt': 'hello\n' });
    const notImage = execFileSync('tar', ['-C', dir, '-c', 'f.txt']);
    assert.equal((await load(notImage)).error, 'invalid archive: does not contain a manifest.json');
    assert.equal((await load(Buffer.from('not a tar at all'.repeat(40)))).error, 'archive/tar: invalid tar header');
    writeFileSync(join(dir, 'manifest.json'), '{}');
    const obj = execFileSync('tar', ['-C', dir, '-c', 'manifest.json']);
    assert.equal(
      (await load(obj)).error,
      'invalid archive: failed to decode manifest.json: json: cannot unmarshal object into Go value of type []tarexport.manifestItem',
    );
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'nope.json', RepoTags: ['x:1'], Layers: [] }]));
    const missing = execFileSync('tar', ['-C', dir, '-c', 'manifest.json']);
    assert.equal((await load(missing)).error, 'open nope.json: no such file or directory');
    const cli = await docker(['load', '-i', join(dir, 'f.txt')], 1);
    assert.match(cli.stderr, /unexpected EOF/); // 6 bytes: a cut tar header, as Go reads it
    // docker save | gzip loads.
    const saved = execFileSync('docker', ['-H', d.host, 'save', 'busybox'], { maxBuffer: 256 << 20 });
    const gz = execFileSync('gzip', ['-c'], { input: saved });
    const r = await docker(['load'], 0, gz);
    assert.match(r.stdout, /Loaded image: busybox:latest/);
  });

  describe('platform of a FROM image in a registry', { skip: !hasRegistry && 'needs docker-registry' }, () => {
    let reg!: TestRegistry;
    before(async () => {
      reg = await startRegistry();
    });
    after(async () => {
      await reg?.stop();
    });
    test('a local image of another platform is pulled again for the platform asked', async () => {
      const name = `${reg.host}/plat/bb:1`;
      await docker(['tag', 'busybox', name]);
      await docker(['push', name]);
      const dir = ctxDir({ Dockerfile: `FROM ${name}\nRUN true\n` });
      const other = process.arch === 'x64' ? 'linux/arm64' : 'linux/amd64';
      const r = await docker(['build', '--platform', other, dir], 1);
      assert.match(r.stderr, /does not match the specified platform|no matching manifest/);
    });
  });
});
