// Images through the Engine API against a real berthd: import (plain, gzip, xz) with
// changes, list filters, inspect and history shapes, tag, remove rules, prune, 404s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { busyboxRootfs, isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { runToCompletion, createContainer } from './helpers/containers.ts';
import { tarToBuffer } from '../src/tar/writer.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

const q = (v: unknown) => encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST /images/create?fromSrc=- with the given query; returns the status and the image ID. */
async function importTar(tar: Buffer, params: Record<string, string | string[]> = {}) {
  const qs = ['fromSrc=-'];
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) qs.push(`${k}=${q(x)}`);
  const r = await d.api('POST', `/images/create?${qs.join('&')}`, {
    raw: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  let id: string | undefined;
  if (r.status === 200) id = JSON.parse(r.body.toString().trim().split('\n').pop()!).status;
  return { status: r.status, id, body: r.body.toString(), json: () => r.json() };
}

/** A tiny one-file rootfs whose layer no other image shares. */
function tinyTar(content: string): Promise<Buffer> {
  return tarToBuffer([
    { entry: { name: 'data/', type: 'dir', mode: 0o755 } },
    { entry: { name: 'data/file.txt', type: 'file', mode: 0o644 }, body: content },
  ]);
}

const inspect = async (name: string) => (await d.api('GET', `/images/${name}/json`)).json();
const list = async (filters?: unknown) =>
  (await d.api('GET', `/images/json${filters ? `?filters=${q(filters)}` : ''}`)).json() as any[];

test('import: plain, gzip and xz tars give the same layer; repo, tag and message', { skip }, async () => {
  const plain = await busyboxRootfs();
  const a = await importTar(plain, { repo: 'imp/plain', tag: 'v1', message: 'plain tar' });
  assert.equal(a.status, 200, a.body);
  assert.match(a.id!, /^sha256:[0-9a-f]{64}$/);
  const gz = await importTar(gzipSync(plain), { repo: 'imp/gzip:v2' });
  assert.equal(gz.status, 200, gz.body);
  const xz = await importTar(execFileSync('xz', ['-c', '-1'], { input: plain, maxBuffer: 1 << 30 }), {
    repo: 'imp/xz',
  });
  assert.equal(xz.status, 200, xz.body);

  const ia = await inspect('imp/plain:v1');
  const ig = await inspect('imp/gzip:v2');
  const ix = await inspect('imp/xz');
  assert.equal(ia.Id, a.id);
  assert.deepEqual(ia.RepoTags, ['imp/plain:v1']);
  assert.deepEqual(ig.RepoTags, ['imp/gzip:v2']);
  assert.deepEqual(ix.RepoTags, ['imp/xz:latest']);
  // The layer's diffID is the digest of the uncompressed tar, whatever the transport.
  const diffId = `sha256:${execFileSync('sha256sum', { input: plain }).toString().split(' ')[0]}`;
  for (const i of [ia, ig, ix]) assert.deepEqual(i.RootFS.Layers, [diffId]);
  assert.equal(ia.Comment, 'plain tar');
  const hist = (await d.api('GET', '/images/imp/plain:v1/history')).json();
  assert.equal(hist[0].Comment, 'plain tar');
  assert.equal((await d.api('GET', '/images/imp/xz/history')).json()[0].Comment, 'Imported from -');
  // Still runnable.
  const r = await runToCompletion(d, { Image: 'imp/xz', Cmd: ['cat', '/var/www/index.html'] });
  assert.equal(r.stdout, 'hello from berth\n');
  // A tag given twice (in repo and in tag) and a bad tag are 400s.
  assert.equal((await importTar(plain, { repo: 'imp/x:1', tag: '2' })).status, 400);
  const badTag = await importTar(plain, { repo: 'imp/x', tag: '-nope' });
  assert.equal(badTag.status, 400);
});

test('import changes: visible in inspect and effective in a container', { skip }, async () => {
  const changes = [
    'ENV FOO=bar GREETING="hello world"',
    'WORKDIR /var/www',
    'USER www-data',
    'ENTRYPOINT ["/bin/sh", "-c"]',
    'CMD ["echo \\"$FOO|$GREETING|$(pwd)|$(id -u)\\""]',
    'EXPOSE 8080 53/udp',
    'LABEL team=core "app name"=berth',
  ];
  const r = await importTar(await busyboxRootfs(), { repo: 'changed', changes });
  assert.equal(r.status, 200, r.body);
  const cfg = (await inspect('changed')).Config;
  assert.ok(cfg.Env.includes('FOO=bar'), String(cfg.Env));
  assert.ok(cfg.Env.includes('GREETING=hello world'), String(cfg.Env));
  assert.equal(cfg.WorkingDir, '/var/www');
  assert.equal(cfg.User, 'www-data');
  assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(cfg.Cmd, ['echo "$FOO|$GREETING|$(pwd)|$(id -u)"']);
  assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
  assert.deepEqual(cfg.Labels, { team: 'core', 'app name': 'berth' });

  const run = await runToCompletion(d, { Image: 'changed' });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'bar|hello world|/var/www|33\n');
  // The container's config shows the merge; its own Cmd replaces the image's.
  const own = await runToCompletion(d, { Image: 'changed', Cmd: ['echo $FOO-$(whoami)'], Env: ['FOO=mine'] });
  assert.equal(own.stdout, 'mine-www-data\n');

  // Shell form of CMD, and an unknown instruction is a 400.
  const shell = await importTar(await busyboxRootfs(), { repo: 'changed-shell', changes: ['CMD echo shell-form'] });
  assert.equal(shell.status, 200);
  assert.deepEqual((await inspect('changed-shell')).Config.Cmd, ['/bin/sh', '-c', 'echo shell-form']);
  assert.equal((await runToCompletion(d, { Image: 'changed-shell' })).stdout, 'shell-form\n');
  const bad = await importTar(await busyboxRootfs(), { repo: 'changed-bad', changes: ['RUN rm -rf /'] });
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /RUN is not a valid change command/);
  assert.equal((await d.api('GET', '/images/changed-bad/json')).status, 404);
});

test('inspect shape: Id, RepoTags, RootFS, Config, Size, GraphDriver, Metadata', { skip }, async () => {
  const i = await inspect('busybox');
  assert.match(i.Id, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(i.RepoTags, ['busybox:latest']);
  assert.deepEqual(i.RepoDigests, []);
  assert.equal(i.Parent, '');
  assert.equal(i.Os, 'linux');
  assert.ok(['amd64', 'arm64'].includes(i.Architecture), i.Architecture);
  assert.ok(!Number.isNaN(Date.parse(i.Created)));
  assert.equal(i.RootFS.Type, 'layers');
  assert.equal(i.RootFS.Layers.length, 1);
  assert.match(i.RootFS.Layers[0], /^sha256:[0-9a-f]{64}$/);
  assert.ok(i.Size > 500_000, `size ${i.Size}`);
  for (const k of ['Hostname', 'User', 'Env', 'Cmd', 'WorkingDir', 'Entrypoint', 'Labels', 'Volumes', 'OnBuild'])
    assert.ok(k in i.Config, k);
  assert.equal(i.GraphDriver.Name, 'overlay2');
  assert.ok(i.GraphDriver.Data.UpperDir.startsWith(d.dataRoot), i.GraphDriver.Data.UpperDir);
  assert.ok(existsSync(join(i.GraphDriver.Data.UpperDir, 'bin', 'busybox')));
  assert.ok(i.Metadata && 'LastTagTime' in i.Metadata);
  // Short ID, full ID and sha256: prefix all resolve to the same image.
  const hex = i.Id.slice(7);
  for (const n of [hex.slice(0, 12), hex, i.Id, 'docker.io/library/busybox:latest']) {
    assert.equal((await inspect(n)).Id, i.Id, n);
  }
  // List summary agrees.
  const s = (await list()).find((x) => x.Id === i.Id);
  assert.equal(s.Size, i.Size);
  assert.deepEqual(s.RepoTags, ['busybox:latest']);
  assert.equal(typeof s.Created, 'number');
  for (const k of ['ParentId', 'RepoDigests', 'SharedSize', 'Labels', 'Containers']) assert.ok(k in s, k);
});

test('history: one entry per layer, newest first, with tags and sizes', { skip }, async () => {
  const r = await importTar(await tinyTar('history\n'), { repo: 'hist', message: 'made for history' });
  const h = (await d.api('GET', '/images/hist/history')).json();
  assert.equal(h.length, 1);
  assert.equal(h[0].Id, r.id);
  assert.deepEqual(h[0].Tags, ['hist:latest']);
  assert.equal(h[0].Comment, 'made for history');
  assert.equal(h[0].CreatedBy, '');
  assert.equal(h[0].Size, 'history\n'.length);
  assert.equal(typeof h[0].Created, 'number');
});

test('list filters: reference, dangling, label, before/since; unknown filter is 400', { skip }, async () => {
  const one = await importTar(await tinyTar('one\n'), { repo: 'flt/one', changes: ['LABEL tier=one'] });
  await sleep(20);
  const two = await importTar(await tinyTar('two\n'), {
    repo: 'flt/two',
    tag: 'v2',
    changes: ['LABEL tier=two', 'LABEL extra=yes'],
  });
  await sleep(20);
  const dangling = await importTar(await tinyTar('dangling\n'));
  await sleep(20);
  const three = await importTar(await tinyTar('three\n'), { repo: 'flt/three' });

  const ids = (xs: any[]) => xs.map((x) => x.Id).sort();
  assert.deepEqual(ids(await list({ reference: ['flt/one'] })), [one.id]);
  assert.deepEqual(ids(await list({ reference: ['flt/*'] })), [one.id, two.id, three.id].sort());
  assert.deepEqual(ids(await list({ reference: ['flt/*:v2'] })), [two.id]);
  assert.deepEqual(ids(await list({ reference: { 'flt/two:v2': true } })), [two.id], 'map form of filters');
  assert.deepEqual(ids(await list({ dangling: ['true'] })), [dangling.id]);
  assert.ok(!(await list({ dangling: ['false'] })).some((x) => x.Id === dangling.id));
  const all = await list();
  const dl = all.find((x) => x.Id === dangling.id);
  assert.deepEqual(dl.RepoTags, [], 'a dangling image has no tags');
  assert.deepEqual(ids(await list({ label: ['tier'], reference: ['flt/*'] })), [one.id, two.id].sort());
  assert.deepEqual(ids(await list({ label: ['tier=two'] })), [two.id]);
  assert.deepEqual(ids(await list({ label: ['tier=two', 'extra=yes'] })), [two.id]);
  assert.deepEqual(ids(await list({ label: ['tier=nope'] })), []);
  const since = ids(await list({ since: ['flt/two:v2'] }));
  assert.ok(since.includes(dangling.id!) && since.includes(three.id!), 'since: newer images');
  assert.ok(!since.includes(one.id!) && !since.includes(two.id!), 'since: not the reference nor older');
  const bef = ids(await list({ before: ['flt/two:v2'], reference: ['flt/*'] }));
  assert.deepEqual(bef, [one.id]);
  // Sorted newest first.
  const order = (await list({ reference: ['flt/*'] })).map((x) => x.Id);
  assert.deepEqual(order, [three.id, two.id, one.id]);

  const bad = await d.api('GET', `/images/json?filters=${q({ bogus: ['x'] })}`);
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /invalid filter 'bogus'/);
  assert.equal((await d.api('GET', `/images/json?filters=${q({ dangling: ['maybe'] })}`)).status, 400);
  assert.equal((await d.api('GET', '/images/json?filters=not-json')).status, 400);
  const missing = await d.api('GET', `/images/json?filters=${q({ before: ['nope'] })}`);
  assert.equal(missing.status, 404);
  assert.equal(missing.json().message, 'No such image: nope:latest');
});

test('tag: 201, both names resolve; bad names are 400 invalid reference format', { skip }, async () => {
  const t = await d.api('POST', '/images/busybox/tag?repo=tagged/bb&tag=v1');
  assert.equal(t.status, 201);
  assert.equal((await d.api('POST', '/images/busybox/tag?repo=tagged/bb')).status, 201);
  assert.equal((await d.api('POST', `/images/busybox/tag?repo=${q('localhost:5000/team/bb:two')}`)).status, 201);
  const id = (await inspect('busybox')).Id;
  for (const n of ['tagged/bb:v1', 'tagged/bb', 'localhost:5000/team/bb:two'])
    assert.equal((await inspect(n)).Id, id, n);
  assert.deepEqual(
    (await inspect('busybox')).RepoTags,
    ['busybox:latest', 'localhost:5000/team/bb:two', 'tagged/bb:latest', 'tagged/bb:v1'].sort(),
  );
  assert.notEqual((await inspect('busybox')).Metadata.LastTagTime, '0001-01-01T00:00:00Z');

  for (const repo of ['Upper', 'a b', 'bad//name', '-lead', 'x:', 'a@b', ':tag']) {
    const r = await d.api('POST', `/images/busybox/tag?repo=${q(repo)}`);
    assert.equal(r.status, 400, repo);
    assert.match(r.json().message, /invalid reference format/, repo);
  }
  const badTag = await d.api('POST', '/images/busybox/tag?repo=ok&tag=-x');
  assert.equal(badTag.status, 400);
  assert.equal((await d.api('POST', '/images/busybox/tag')).status, 400, 'repo is required');
  const hex = await d.api('POST', `/images/busybox/tag?repo=${'a'.repeat(64)}`);
  assert.equal(hex.status, 400);
  assert.match(hex.json().message, /cannot specify 64-byte hexadecimal strings/);
  const nope = await d.api('POST', '/images/nope/tag?repo=x');
  assert.equal(nope.status, 404);
  assert.equal(nope.json().message, 'No such image: nope:latest');
  // Retagging moves the tag to the new image.
  const other = await importTar(await tinyTar('retag\n'), { repo: 'tagged/bb', tag: 'v1' });
  assert.equal((await inspect('tagged/bb:v1')).Id, other.id);
  assert.ok(!(await inspect('busybox')).RepoTags.includes('tagged/bb:v1'));
});

test('remove: untag while tags remain, then delete with layer and blob', { skip }, async () => {
  const r = await importTar(await tinyTar('rm-rules\n'), { repo: 'rmme', tag: 'a' });
  assert.equal((await d.api('POST', '/images/rmme:a/tag?repo=rmme&tag=b')).status, 201);
  const img = await inspect('rmme:a');
  const layerDir = join(img.GraphDriver.Data.UpperDir, '..');
  const blob = join(d.dataRoot, 'content', 'blobs', 'sha256', img.RootFS.Layers[0].slice(7));
  assert.ok(existsSync(layerDir) && existsSync(blob));

  const untag = await d.api('DELETE', '/images/rmme:a');
  assert.equal(untag.status, 200);
  assert.deepEqual(untag.json(), [{ Untagged: 'rmme:a' }]);
  assert.deepEqual((await inspect(r.id!)).RepoTags, ['rmme:b']);

  const del = await d.api('DELETE', '/images/rmme:b');
  assert.equal(del.status, 200);
  const items = del.json();
  assert.deepEqual(items.slice(0, 2), [{ Untagged: 'rmme:b' }, { Deleted: r.id }]);
  for (const it of items.slice(2)) assert.deepEqual(Object.keys(it), ['Deleted']);
  assert.equal((await d.api('GET', `/images/${r.id}/json`)).status, 404);
  assert.ok(!existsSync(layerDir), 'the layer went with its last image');
  assert.ok(!existsSync(blob), 'the layer blob went with its last image');
  assert.ok(!existsSync(join(d.dataRoot, 'content', 'blobs', 'sha256', r.id!.slice(7))), 'config blob deleted');

  // Several tags, by ID: must be forced; forced removes every tag and the image.
  const m = await importTar(await tinyTar('multi\n'), { repo: 'multi1' });
  await d.api('POST', `/images/${m.id}/tag?repo=multi2`);
  const refused = await d.api('DELETE', `/images/${m.id!.slice(7, 19)}`);
  assert.equal(refused.status, 409);
  assert.match(refused.json().message, /must be forced\) - image is referenced in multiple repositories/);
  const forced = (await d.api('DELETE', `/images/${m.id!.slice(7, 19)}?force=1`)).json();
  assert.deepEqual(
    forced
      .filter((x: any) => x.Untagged)
      .map((x: any) => x.Untagged)
      .sort(),
    ['multi1:latest', 'multi2:latest'],
  );
  assert.ok(forced.some((x: any) => x.Deleted === m.id));
});

test('remove while containers use it: 409 unless force; running cannot be forced', { skip }, async () => {
  const r = await importTar(await busyboxRootfs(), { repo: 'inuse' });
  const short = r.id!.slice(7, 19);
  const stopped = await createContainer(d, { Image: 'inuse', Cmd: ['true'] });

  const byName = await d.api('DELETE', '/images/inuse');
  assert.equal(byName.status, 409);
  assert.match(
    byName.json().message,
    new RegExp(
      `conflict: unable to remove repository reference "inuse" \\(must force\\) - container ${stopped.slice(0, 12)} is using its referenced image ${short}`,
    ),
  );
  const byId = await d.api('DELETE', `/images/${short}`);
  assert.equal(byId.status, 409);
  assert.match(
    byId.json().message,
    new RegExp(
      `conflict: unable to delete ${short} \\(must be forced\\) - image is being used by stopped container ${stopped.slice(0, 12)}`,
    ),
  );

  const running = await createContainer(d, { Image: 'inuse', Cmd: ['sleep', '300'] });
  assert.equal((await d.api('POST', `/containers/${running}/start`)).status, 204);
  const hard = await d.api('DELETE', `/images/${short}?force=1`);
  assert.equal(hard.status, 409);
  assert.match(
    hard.json().message,
    new RegExp(
      `conflict: unable to delete ${short} \\(cannot be forced\\) - image is being used by running container ${running.slice(0, 12)}`,
    ),
  );
  assert.equal((await inspect(short)).Id, r.id, 'still there');

  // Forced by name: the tag goes, the image stays for its containers.
  const f = await d.api('DELETE', '/images/inuse?force=1');
  assert.equal(f.status, 200);
  assert.deepEqual(f.json(), [{ Untagged: 'inuse:latest' }]);
  const still = await inspect(r.id!);
  assert.deepEqual(still.RepoTags, []);
  // A dangling image in use is not pruned.
  const pr = (await d.api('POST', '/images/prune')).json();
  assert.ok(!(pr.ImagesDeleted ?? []).some((x: any) => x.Deleted === r.id));
  // The stopped container still starts from it.
  assert.equal((await d.api('POST', `/containers/${stopped}/start`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${stopped}/wait`)).json().StatusCode, 0);

  await d.api('DELETE', `/containers/${running}?force=1`);
  await d.api('DELETE', `/containers/${stopped}?force=1`);
  const del = await d.api('DELETE', `/images/${r.id}`);
  assert.equal(del.status, 200, del.body.toString());
  assert.ok(del.json().some((x: any) => x.Deleted === r.id));
});

test('forced removal by ID of an image a stopped container uses keeps it for the container', { skip }, async () => {
  const r = await importTar(await busyboxRootfs(), { repo: 'keepme' });
  const c = await createContainer(d, { Image: 'keepme', Cmd: ['echo', 'kept'] });
  const f = await d.api('DELETE', `/images/${r.id}?force=1`);
  assert.equal(f.status, 200);
  assert.deepEqual(f.json(), [{ Untagged: 'keepme:latest' }]);
  assert.equal((await inspect(r.id!)).Id, r.id);
  assert.equal((await d.api('POST', `/containers/${c}/start`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${c}/wait`)).json().StatusCode, 0);
  const ci = (await d.api('GET', `/containers/${c}/json`)).json();
  assert.equal(ci.Image, r.id);
  await d.api('DELETE', `/containers/${c}`);
});

test('prune removes dangling images only', { skip }, async () => {
  const dang = await importTar(await tinyTar('prune-me\n'));
  const kept = await importTar(await tinyTar('keep-me\n'), { repo: 'prune-keep' });
  const dangLayer = join((await inspect(dang.id!)).GraphDriver.Data.UpperDir, '..');
  const pr = await d.api('POST', '/images/prune');
  assert.equal(pr.status, 200);
  const body = pr.json();
  assert.ok(
    body.ImagesDeleted.some((x: any) => x.Deleted === dang.id),
    JSON.stringify(body),
  );
  assert.ok(!body.ImagesDeleted.some((x: any) => x.Deleted === kept.id));
  assert.ok(body.SpaceReclaimed >= 'prune-me\n'.length);
  assert.equal((await d.api('GET', `/images/${dang.id}/json`)).status, 404);
  assert.equal((await inspect('prune-keep')).Id, kept.id);
  assert.ok(!existsSync(dangLayer));
  assert.deepEqual(await list({ dangling: ['true'] }), []);
  assert.equal((await d.api('POST', `/images/prune?filters=${q({ bogus: ['1'] })}`)).status, 400);
  // Nothing left over in ingest or as tmp layer dirs.
  assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
  assert.deepEqual(
    (await readdir(join(d.dataRoot, 'layers'))).filter((n) => n.startsWith('tmp-')),
    [],
  );
});

test('unknown images: 404 No such image everywhere', { skip }, async () => {
  for (const [m, p] of [
    ['GET', '/images/nope/json'],
    ['GET', '/images/nope/history'],
    ['DELETE', '/images/nope'],
    ['POST', '/images/nope/tag?repo=x'],
  ] as const) {
    const r = await d.api(m, p);
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.deepEqual(r.json(), { message: 'No such image: nope:latest' }, `${m} ${p}`);
  }
  assert.equal((await d.api('GET', '/images/team/nope:v3/json')).json().message, 'No such image: team/nope:v3');
  const byId = await d.api('GET', `/images/sha256:${'0'.repeat(64)}/json`);
  assert.equal(byId.status, 404);
  assert.equal(byId.json().message, `No such image: sha256:${'0'.repeat(64)}`);
  const c = await d.api('POST', '/containers/create', { body: { Image: 'nope', Cmd: ['true'] } });
  assert.equal(c.status, 404);
  assert.equal(c.json().message, 'No such image: nope:latest');
});
