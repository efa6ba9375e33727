// Other ways images arrive: import from a URL, docker.io pulls through a registry mirror,
// and archives in the classic `docker save` layout (<id>/layer.tar, <id>/json, manifest.json).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tarToBuffer } from '../src/tar/writer.ts';
import { isRoot, useDaemon, busyboxRootfs, type TestDaemon } from './helpers/daemon.ts';
import { addImage, sha, startFakeRegistry, type FakeRegistry } from './helpers/fake-registry.ts';

const lines = (b: Buffer) => b.toString().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const file = (name: string, body: string | Buffer) => ({ entry: { name, type: 'file' as const, mode: 0o644 }, body });

describe('image sources', { skip: !isRoot && 'needs root' }, () => {
  let d!: TestDaemon;
  let mirror!: FakeRegistry;
  let web!: Server;
  let webPort = 0;
  const files = new Map<string, Buffer>();
  before(async () => {
    web = createServer((req, res) => {
      const b = files.get(req.url!);
      if (!b) { res.writeHead(404).end('no'); return; }
      res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': b.length }).end(b);
    });
    await new Promise<void>((ok) => web.listen(0, '127.0.0.1', ok));
    webPort = (web.address() as { port: number }).port;
  });
  after(async () => { web?.closeAllConnections(); await new Promise((ok) => web?.close(ok)); await mirror?.close(); });
  useDaemon((x) => (d = x), { busybox: false });
  before(async () => { mirror = await startFakeRegistry(); });

  test('import from a URL (fromSrc=http://…)', async () => {
    const tar = await busyboxRootfs();
    files.set('/x.tar', tar);
    const url = `http://127.0.0.1:${webPort}/x.tar`;
    const r = await d.api('POST', `/images/create?fromSrc=${encodeURIComponent(url)}&repo=fromurl&tag=1`);
    assert.equal(r.status, 200, r.body.toString());
    assert.ok(!lines(r.body).some((m) => m.error), r.body.toString());
    const info = (await d.api('GET', '/images/fromurl:1/json')).json<{ RootFS: { Layers: string[] }; Comment: string }>();
    assert.deepEqual(info.RootFS.Layers, [sha(tar)]);
    const missing = await d.api('POST', `/images/create?fromSrc=${encodeURIComponent(`http://127.0.0.1:${webPort}/nope.tar`)}&repo=nope`);
    const msg = missing.status === 200 ? lines(missing.body).find((m) => m.error)?.error : missing.json<{ message: string }>().message;
    assert.match(String(msg), /404/);
    assert.equal((await d.api('GET', '/images/nope/json')).status, 404);
  });

  test('a classic docker save archive (layer.tar directories) loads', async () => {
    const l1 = await tarToBuffer([file('a', 'one')]);
    const l2 = await tarToBuffer([file('b', 'two')]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(l1), sha(l2)] }, history: [{ created_by: 'a' }, { created_by: 'b' }] }));
    const cfgHex = sha(config).slice(7);
    const id1 = 'a'.repeat(64);
    const id2 = 'b'.repeat(64);
    const archive = await tarToBuffer([
      { entry: { name: `${id1}/`, type: 'dir', mode: 0o755 } },
      file(`${id1}/VERSION`, '1.0'), file(`${id1}/json`, JSON.stringify({ id: id1 })), file(`${id1}/layer.tar`, l1),
      { entry: { name: `${id2}/`, type: 'dir', mode: 0o755 } },
      file(`${id2}/VERSION`, '1.0'), file(`${id2}/json`, JSON.stringify({ id: id2, parent: id1 })), file(`${id2}/layer.tar`, l2),
      file(`${cfgHex}.json`, config),
      file('manifest.json', JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['classic:1'], Layers: [`${id1}/layer.tar`, `${id2}/layer.tar`] }])),
      file('repositories', JSON.stringify({ classic: { 1: id2 } })),
    ]);
    const r = await d.api('POST', '/images/load', { raw: archive, headers: { 'Content-Type': 'application/x-tar' } });
    assert.equal(r.status, 200, r.body.toString());
    assert.match(r.body.toString(), /Loaded image: classic:1/);
    const info = (await d.api('GET', '/images/classic:1/json')).json<{ Id: string; RootFS: { Layers: string[] } }>();
    assert.equal(info.Id, sha(config));
    assert.deepEqual(info.RootFS.Layers, [sha(l1), sha(l2)]);
  });

  test('docker.io pulls go through registry-mirrors', async () => {
    const tar = await tarToBuffer([file('m', 'from the mirror')]);
    const img = addImage(mirror, 'library/mirrored', '1', [tar]);
    // Restart berthd with the mirror configured (the fake registry is up by now).
    await d.stop();
    const cfgPath = `${d.root}/daemon.json`;
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8'));
    await writeFile(cfgPath, JSON.stringify({ ...cfg, 'registry-mirrors': [`http://${mirror.host}`] }));
    await d.start();
    const r = await d.api('POST', '/images/create?fromImage=mirrored&tag=1');
    assert.equal(r.status, 200, r.body.toString());
    assert.ok(!lines(r.body).some((m) => m.error), r.body.toString());
    assert.match(r.body.toString(), new RegExp(`Digest: ${img.digest}`));
    const info = (await d.api('GET', '/images/mirrored:1/json')).json<{ Id: string; RepoDigests: string[] }>();
    assert.equal(info.Id, sha(img.config));
    assert.deepEqual(info.RepoDigests, [`mirrored@${img.digest}`]);
    assert.equal(mirror.blobGets.get(sha(img.blobs[0])), 1);
  });
});
