// Bad registries and bad content: each fault gives a clear error and records nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isRoot, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { startFakeRegistry, addImage, sha, type FakeRegistry } from './helpers/fake-registry.ts';
import { tarToBuffer } from '../src/tar/writer.ts';

const lines = (b: Buffer) =>
  b
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
const auth = (a: object) => Buffer.from(JSON.stringify(a)).toString('base64url');
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';

describe('registry faults', { skip: !isRoot && 'needs root' }, () => {
  let d!: TestDaemon;
  let reg!: FakeRegistry;
  useDaemon((x) => (d = x));
  before(async () => {
    reg = await startFakeRegistry();
  });
  after(async () => {
    await reg?.close();
  });

  const pull = (name: string, tag: string, headers: Record<string, string> = {}) =>
    d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/${name}`)}&tag=${tag}`, { headers });
  const imageCount = async () => (await d.api('GET', '/images/json?all=1')).json().length;
  const ingestEmpty = () => readdirSync(join(d.dataRoot, 'content', 'ingest')).length === 0;
  async function assertNothingRecorded(before: number) {
    assert.equal(await imageCount(), before);
    assert.ok(ingestEmpty(), 'no partial download left in ingest/');
    const pr = await d.api('POST', '/images/prune');
    assert.equal(pr.status, 200);
  }
  const random = (mb: number) =>
    tarToBuffer([
      {
        entry: { name: 'r', type: 'file', mode: 0o644 },
        body: globalThis.crypto.getRandomValues
          ? Buffer.concat(
              Array.from({ length: mb * 16 }, () =>
                Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(65536))),
              ),
            )
          : Buffer.alloc(0),
      },
    ]);
  const tiny = (name: string, body = 'x') => tarToBuffer([{ entry: { name, type: 'file', mode: 0o644 }, body }]);

  test('a dropped connection mid-blob resumes with Range and the pull succeeds', async () => {
    const img = addImage(reg, 'drop/img', '1', [await random(1)]);
    reg.dropOnce.set(sha(img.blobs[0]), 100_000);
    const r = await pull('drop/img', '1');
    assert.equal(r.status, 200);
    const m = lines(r.body);
    assert.ok(!m.some((x) => x.error), r.body.toString());
    assert.equal(reg.blobGets.get(sha(img.blobs[0])), 2);
    const run = await d.api('GET', `/images/${encodeURIComponent(`${reg.host}/drop/img:1`)}/json`);
    assert.equal(run.json().Id, sha(img.config));
  });

  test('a blob whose bytes do not match its digest is refused', async () => {
    const before = await imageCount();
    const t = await tiny('wrong-digest');
    const img = addImage(reg, 'bad/digest', '1', [t]);
    const good = gzipSync(t);
    const evil = gzipSync(await tiny('evil'));
    reg.blobs.set(
      sha(good),
      evil.length === good.length
        ? evil
        : Buffer.concat([evil, Buffer.alloc(Math.max(0, good.length - evil.length))]).subarray(0, good.length),
    );
    const r = await pull('bad/digest', '1');
    const text = r.body.toString();
    assert.match(text, /digest mismatch/);
    void img;
    await assertNothingRecorded(before);
  });

  test('a manifest over the size cap is refused before any progress', async () => {
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        pad: 'x'.repeat(5 << 20),
      }),
    );
    reg.manifests.set('big/manifest:1', { body, type: 'application/vnd.docker.distribution.manifest.v2+json' });
    const r = await pull('big/manifest', '1');
    assert.equal(r.status, 400);
    assert.match(r.json().message, /larger than/);
  });

  test('a manifest whose media type disagrees with its content is refused', async () => {
    const img = addImage(reg, 'mt/img', '1', [await tiny('a')]);
    const doc = JSON.parse(img.manifest.toString());
    doc.mediaType = 'application/vnd.oci.image.index.v1+json';
    const body = Buffer.from(JSON.stringify(doc));
    reg.manifests.set('mt/img:2', { body, type: 'application/vnd.oci.image.index.v1+json' });
    const r = await pull('mt/img', '2');
    assert.equal(r.status, 400);
    assert.match(r.json().message, /does not match its content/);
  });

  test('an index without our platform is a clear 404; --platform picks from an index', async () => {
    const a = addImage(reg, 'multi/img', 'x', [await tiny('arm')], { platform: 'arm64' });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
            digest: a.digest,
            size: a.manifest.length,
            platform: { os: 'linux', architecture: 'arm64' },
          },
        ],
      }),
    );
    reg.manifests.set('multi/img:1', { body: index, type: 'application/vnd.oci.image.index.v1+json' });
    const other = arch === 'arm64' ? 's390x' : 'amd64';
    const r = await d.api(
      'POST',
      `/images/create?fromImage=${encodeURIComponent(`${reg.host}/multi/img`)}&tag=1&platform=linux/${other}`,
    );
    assert.equal(r.status, 404);
    assert.match(r.json().message, /no matching manifest for linux\/.+ in the manifest list entries/);
    const ok = await d.api(
      'POST',
      `/images/create?fromImage=${encodeURIComponent(`${reg.host}/multi/img`)}&tag=1&platform=linux/arm64`,
    );
    assert.equal(ok.status, 200);
    assert.match(ok.body.toString(), new RegExp(`Digest: ${sha(index)}`));
  });

  test('schema 1 manifests are refused with a clear message', async () => {
    reg.manifests.set('old/img:1', {
      body: Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'old/img', fsLayers: [] })),
      type: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
    });
    const r = await pull('old/img', '1');
    assert.equal(r.status, 400);
    assert.match(r.json().message, /schema 1 support has been removed/);
  });

  test('a decompression bomb layer is refused', async () => {
    const before = await imageCount();
    const zeros = Buffer.alloc(300 << 20);
    const tar = await tarToBuffer([{ entry: { name: 'zeros', type: 'file', mode: 0o644 }, body: zeros }]);
    addImage(reg, 'bomb/img', '1', [tar], { layerBlobs: [gzipSync(tar, { level: 9 })] });
    const r = await pull('bomb/img', '1');
    assert.match(r.body.toString(), /decompression bomb/);
    await assertNothingRecorded(before);
  });

  test('a layer with ../ entries is refused and nothing lands outside the data root', async () => {
    const before = await imageCount();
    const marker = `/tmp/berth-escape-${process.pid}`;
    const tar = await tarToBuffer([
      { entry: { name: `../../../../../../..${marker}`, type: 'file', mode: 0o644 }, body: 'pwned' },
    ]);
    addImage(reg, 'escape/img', '1', [tar]);
    const r = await pull('escape/img', '1');
    assert.match(r.body.toString(), /error|escape|invalid/i);
    assert.ok(!existsSync(marker));
    await assertNothingRecorded(before);
  });

  test('two concurrent pulls of the same image share the download and both succeed', async () => {
    const img = addImage(reg, 'conc/img', '1', [await random(2)]);
    reg.slow.set(sha(img.blobs[0]), 256 << 10);
    const [a, b] = await Promise.all([pull('conc/img', '1'), pull('conc/img', '1')]);
    for (const r of [a, b]) {
      assert.equal(r.status, 200);
      assert.ok(!lines(r.body).some((m) => m.error), r.body.toString());
    }
    assert.equal(reg.blobGets.get(sha(img.blobs[0])), 1, 'one download for both pulls');
  });

  test('a client that hangs up cancels the pull and leaves nothing partial', async () => {
    const before = await imageCount();
    const t = await tarToBuffer([
      { entry: { name: 'big', type: 'file', mode: 0o644 }, body: Buffer.alloc(4 << 20, 7) },
    ]);
    const img = addImage(reg, 'cancel/img', '1', [t], { layerBlobs: [t] }); // uncompressed layer
    reg.slow.set(sha(img.blobs[0]), 64 << 10);
    await new Promise<void>((resolve) => {
      const req = httpRequest(
        {
          socketPath: d.socket,
          method: 'POST',
          path: `/images/create?fromImage=${encodeURIComponent(`${reg.host}/cancel/img`)}&tag=1`,
        },
        (res) => {
          res.once('data', () =>
            setTimeout(() => {
              req.destroy();
              resolve();
            }, 300),
          );
        },
      );
      req.on('error', () => {});
      req.end();
    });
    await new Promise((r) => setTimeout(r, 500));
    await assertNothingRecorded(before);
    assert.ok(!readdirSync(join(d.dataRoot, 'content', 'blobs', 'sha256')).includes(sha(img.blobs[0]).slice(7)));
  });
});

describe('bearer token flow', { skip: !isRoot && 'needs root' }, () => {
  let d!: TestDaemon;
  let reg!: FakeRegistry;
  useDaemon((x) => (d = x), { busybox: false });
  before(async () => {
    reg = await startFakeRegistry({ bearer: true });
  });
  after(async () => {
    await reg?.close();
  });

  test('credentials buy a scoped token; without them the pull is a 401', async () => {
    const t = await tarToBuffer([{ entry: { name: 'f', type: 'file', mode: 0o644 }, body: 'hello' }]);
    addImage(reg, 'priv/app', '1', [t]);
    const path = `/images/create?fromImage=${encodeURIComponent(`${reg.host}/priv/app`)}&tag=1`;
    const anon = await d.api('POST', path);
    assert.equal(anon.status, 401, anon.body.toString());
    const ok = await d.api('POST', path, {
      headers: { 'X-Registry-Auth': auth({ username: 'bob', password: 'pw', serveraddress: reg.host }) },
    });
    assert.equal(ok.status, 200, ok.body.toString());
    assert.ok(!lines(ok.body).some((m) => m.error), ok.body.toString());
    assert.ok(reg.bearer!.issued.some((s) => s.includes('repository:priv/app:pull')));
  });
});
