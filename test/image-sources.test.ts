// Other ways images arrive: import from a URL, docker.io pulls through a registry mirror,
// and archives in the classic `docker save` layout (<id>/layer.tar, <id>/json, manifest.json).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tarToBuffer } from '../src/tar/writer.ts';
import { isRoot, useDaemon, busyboxRootfs, runCli, type TestDaemon } from './helpers/daemon.ts';
import { addImage, sha, startFakeRegistry, type FakeRegistry } from './helpers/fake-registry.ts';

const lines = (b: Buffer) =>
  b
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
const file = (name: string, body: string | Buffer) => ({ entry: { name, type: 'file' as const, mode: 0o644 }, body });

describe('image sources', { skip: !isRoot && 'needs root' }, () => {
  let d!: TestDaemon;
  let mirror!: FakeRegistry;
  let web!: Server;
  let webPort = 0;
  const files = new Map<string, Buffer>();
  const searches: string[] = [];
  before(async () => {
    web = createServer((req, res) => {
      // Docker Hub's search API, as a registry that offers it answers.
      if (req.url === '/v2/') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        return;
      }
      if (req.url!.startsWith('/v1/search?')) {
        const q = new URL(req.url!, 'http://x').searchParams;
        searches.push(`${q.get('q')} n=${q.get('n')}`);
        const results = [
          {
            name: 'library/nginx',
            description: 'Official build of Nginx.',
            star_count: 20000,
            is_official: true,
            is_automated: false,
          },
          { name: 'someone/nginx-proxy', description: 'proxy', star_count: 2, is_official: false, is_automated: true },
        ];
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ num_results: 2, query: q.get('q'), results }));
        return;
      }
      const b = files.get(req.url!);
      if (!b) {
        res.writeHead(404).end('no');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': b.length }).end(b);
    });
    await new Promise<void>((ok) => web.listen(0, '127.0.0.1', ok));
    webPort = (web.address() as { port: number }).port;
  });
  after(async () => {
    web?.closeAllConnections();
    await new Promise((ok) => web?.close(ok));
    await mirror?.close();
  });
  useDaemon((x) => (d = x), { busybox: false });
  before(async () => {
    mirror = await startFakeRegistry();
  });

  test('import from a URL (fromSrc=http://…)', async () => {
    const tar = await busyboxRootfs();
    files.set('/x.tar', tar);
    const url = `http://127.0.0.1:${webPort}/x.tar`;
    const r = await d.api('POST', `/images/create?fromSrc=${encodeURIComponent(url)}&repo=fromurl&tag=1`);
    assert.equal(r.status, 200, r.body.toString());
    assert.ok(!lines(r.body).some((m) => m.error), r.body.toString());
    const info = (await d.api('GET', '/images/fromurl:1/json')).json<{
      RootFS: { Layers: string[] };
      Comment: string;
    }>();
    assert.deepEqual(info.RootFS.Layers, [sha(tar)]);
    const missing = await d.api(
      'POST',
      `/images/create?fromSrc=${encodeURIComponent(`http://127.0.0.1:${webPort}/nope.tar`)}&repo=nope`,
    );
    const msg =
      missing.status === 200
        ? lines(missing.body).find((m) => m.error)?.error
        : missing.json<{ message: string }>().message;
    assert.match(String(msg), /404/);
    assert.equal((await d.api('GET', '/images/nope/json')).status, 404);
  });

  test("search uses a registry's Hub search API: names, stars, official, filters, limit", async () => {
    const host = `127.0.0.1:${webPort}`;
    const r = await d.api('GET', `/images/search?term=${encodeURIComponent(`${host}/nginx`)}&limit=5`);
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(
      r
        .json()
        .map((x: { name: string; star_count: number; is_official: boolean }) => [x.name, x.star_count, x.is_official]),
      [
        [`${host}/library/nginx`, 20000, true],
        [`${host}/someone/nginx-proxy`, 2, false],
      ],
    );
    assert.equal(searches.at(-1), 'nginx n=5');
    const f = await d.api(
      'GET',
      `/images/search?term=${encodeURIComponent(`${host}/nginx`)}&filters=${encodeURIComponent(JSON.stringify({ 'is-official': { true: true } }))}`,
    );
    assert.deepEqual(
      f.json().map((x: { name: string }) => x.name),
      [`${host}/library/nginx`],
    );
    const cli = await runCli('berth', d, ['search', '--filter', 'stars=3', `${host}/nginx`]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
    assert.match(cli.stdout, /library\/nginx\s+Official build of Nginx\.\s+20000\s+\[OK\]/);
    assert.doesNotMatch(cli.stdout, /nginx-proxy/);
  });

  test('a classic docker save archive (layer.tar directories) loads', async () => {
    const l1 = await tarToBuffer([file('a', 'one')]);
    const l2 = await tarToBuffer([file('b', 'two')]);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: [sha(l1), sha(l2)] },
        history: [{ created_by: 'a' }, { created_by: 'b' }],
      }),
    );
    const cfgHex = sha(config).slice(7);
    const id1 = 'a'.repeat(64);
    const id2 = 'b'.repeat(64);
    const archive = await tarToBuffer([
      { entry: { name: `${id1}/`, type: 'dir', mode: 0o755 } },
      file(`${id1}/VERSION`, '1.0'),
      file(`${id1}/json`, JSON.stringify({ id: id1 })),
      file(`${id1}/layer.tar`, l1),
      { entry: { name: `${id2}/`, type: 'dir', mode: 0o755 } },
      file(`${id2}/VERSION`, '1.0'),
      file(`${id2}/json`, JSON.stringify({ id: id2, parent: id1 })),
      file(`${id2}/layer.tar`, l2),
      file(`${cfgHex}.json`, config),
      file(
        'manifest.json',
        JSON.stringify([
          { Config: `${cfgHex}.json`, RepoTags: ['classic:1'], Layers: [`${id1}/layer.tar`, `${id2}/layer.tar`] },
        ]),
      ),
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
