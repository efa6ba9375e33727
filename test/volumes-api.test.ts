// The volume API and CLIs without containers: create/ls/inspect/rm/prune through the API,
// the docker CLI and the berth CLI, filters, events, system df, Docker's errors for bad
// names and options, and a volume plugin (a small server written for the test, found at
// /run/docker/plugins/<unique>.sock) — including one that hangs or answers garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasDockerCli, isRoot, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { startFakePlugin, type FakePlugin } from '../src/volumes/testing/fake-plugin.ts';

const skip = !isRoot ? 'needs root' : false;
const skipDocker = skip || (!hasDockerCli() ? 'needs the docker CLI' : false);
let d: TestDaemon;
useDaemon((x) => (d = x), { busybox: false, config: { 'volume-plugin-timeout': 1 } });

const api = (method: string, path: string, body?: unknown) => d.api(method, path, body === undefined ? {} : { body });
const names = async (q = '') =>
  ((await api('GET', `/volumes${q}`)).json().Volumes as { Name: string }[]).map((v) => v.Name).sort();
const filters = (f: Record<string, string[]>) => `?filters=${encodeURIComponent(JSON.stringify(f))}`;
const cli = async (bin: 'docker' | 'berth', ...args: string[]) => runCli(bin, d, args);

async function cleanVolumes(): Promise<void> {
  for (const n of await names()) await api('DELETE', `/volumes/${n}?force=1`);
}

test('create, inspect, ls, rm through the API in Docker shapes', { skip }, async () => {
  await cleanVolumes();
  const c = await api('POST', '/volumes/create', { Name: 'pgdata', Labels: { app: 'db' } });
  assert.equal(c.status, 201, c.body.toString());
  const v = c.json();
  assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.deepEqual(v.Labels, { app: 'db' });
  assert.equal(v.Options, null);
  assert.equal(v.Mountpoint, join(d.dataRoot, 'volumes', 'pgdata', '_data'));
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(existsSync(v.Mountpoint));
  // Idempotent: the same volume back, labels of the first create kept.
  const again = await api('POST', '/volumes/create', { Name: 'pgdata', Labels: { other: '1' } });
  assert.equal(again.status, 201);
  assert.deepEqual(again.json(), v);
  assert.deepEqual((await api('GET', '/volumes/pgdata')).json(), v);
  const ls = (await api('GET', '/volumes')).json();
  assert.deepEqual(ls, { Volumes: [v], Warnings: null });
  assert.equal((await api('DELETE', '/volumes/pgdata')).status, 204);
  const gone = await api('GET', '/volumes/pgdata');
  assert.equal(gone.status, 404);
  assert.equal(gone.json().message, 'get pgdata: no such volume');
  assert.equal((await api('DELETE', '/volumes/pgdata')).status, 404);
  assert.equal((await api('DELETE', '/volumes/pgdata?force=1')).status, 204);
  assert.ok(!existsSync(join(d.dataRoot, 'volumes', 'pgdata')));
  assert.equal((await api('PUT', '/volumes/x?version=1', {})).status, 503);
});

test("bad names and options: 400 with Docker's messages, nothing written (catalogue row 67)", { skip }, async () => {
  await cleanVolumes();
  const before = readdirSync(join(d.dataRoot, 'volumes')).sort();
  const cases: [unknown, RegExp][] = [
    [
      { Name: 'a/b' },
      /^create a\/b: "a\/b" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/,
    ],
    [{ Name: '../../etc' }, /includes invalid characters/],
    [{ Name: '..' }, /includes invalid characters/],
    [{ Name: 'a\u0000b' }, /includes invalid characters/],
    [{ Name: 'x'.repeat(300) }, /volume name is too long/],
    [{ Name: 'x' }, /volume name is too short/],
    [{ Name: 'ok1', DriverOpts: { foo: 'bar' } }, /create ok1: invalid option: "foo"/],
    [{ Name: 'ok2', DriverOpts: { o: 'size=1m' } }, /missing required option: "device"/],
    [{ Name: 'ok3', DriverOpts: { size: '1g' } }, /quota size requested but no quota support/],
    [{ Name: 5 }, /cannot unmarshal number into Go struct field CreateOptions.Name of type string/],
    [{ Name: 'ok4', Labels: ['a'] }, /CreateOptions.Labels of type map\[string\]string/],
  ];
  for (const [body, re] of cases) {
    const r = await api('POST', '/volumes/create', body);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 60)}: ${r.body}`);
    assert.match(r.json().message, re);
  }
  const np = await api('POST', '/volumes/create', { Name: 'ok5', Driver: 'no-such-plugin' });
  assert.equal(np.status, 404);
  assert.match(np.json().message, /error looking up volume plugin no-such-plugin: plugin "no-such-plugin" not found/);
  assert.deepEqual(readdirSync(join(d.dataRoot, 'volumes')).sort(), before);
  assert.deepEqual(await names(), []);
});

test('filters, prune (anonymous only from API 1.42), events and system df', { skip }, async () => {
  await cleanVolumes();
  const since = Math.floor(Date.now() / 1000) - 1;
  await api('POST', '/volumes/create', { Name: 'named1', Labels: { tier: 'db' } });
  await api('POST', '/volumes/create', { Name: 'named2' });
  const anon = (await api('POST', '/volumes/create', {})).json();
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual(anon.Labels, { 'com.docker.volume.anonymous': '' });
  await api('POST', '/volumes/create', {
    Name: 'tmpvol',
    DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' },
  });
  writeFileSync(join(d.dataRoot, 'volumes', 'named2', '_data', 'blob'), Buffer.alloc(4096, 1));

  assert.deepEqual(await names(filters({ name: ['named'] })), ['named1', 'named2']);
  assert.deepEqual(await names(filters({ name: ['^named1$'] })), ['named1']);
  assert.deepEqual(await names(filters({ label: ['tier=db'] })), ['named1']);
  assert.deepEqual(await names(filters({ label: ['tier'] })), ['named1']);
  assert.deepEqual(await names(filters({ driver: ['local'] })), [anon.Name, 'named1', 'named2', 'tmpvol'].sort());
  assert.equal((await names(filters({ dangling: ['true'] }))).length, 4);
  assert.deepEqual(await names(filters({ dangling: ['false'] })), []);
  const bad = await api('GET', `/volumes${filters({ bogus: ['1'] })}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, "invalid filter 'bogus'");
  assert.equal((await api('GET', `/volumes${filters({ dangling: ['maybe'] })}`)).status, 400);

  const df = (await api('GET', '/system/df?type=volume')).json();
  const rows = Object.fromEntries(
    (df.Volumes as { Name: string; UsageData: unknown }[]).map((v) => [v.Name, v.UsageData]),
  );
  assert.deepEqual(rows.named2, { Size: 4096, RefCount: 0 });
  assert.deepEqual(rows.named1, { Size: 0, RefCount: 0 });
  assert.equal(rows.tmpvol, undefined, 'a volume with mount options is not local disk usage');

  // API 1.47: only the anonymous one; a label filter narrows; API 1.41: all of them.
  const p1 = (await api('POST', '/volumes/prune')).json();
  assert.deepEqual(p1, { VolumesDeleted: [anon.Name], SpaceReclaimed: 0 });
  const p2 = (await api('POST', `/volumes/prune${filters({ all: ['true'], 'label!': ['tier'] })}`)).json();
  assert.deepEqual(p2, { VolumesDeleted: ['named2'], SpaceReclaimed: 4096 });
  const p3 = (await api('POST', '/v1.41/volumes/prune')).json();
  assert.deepEqual(p3.VolumesDeleted, ['named1']);
  assert.deepEqual(await names(), ['tmpvol'], 'prune leaves volumes with mount options');
  assert.equal((await api('POST', `/volumes/prune${filters({ all: ['1', '0'] })}`)).status, 400);

  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = (
    await api('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["volume"]}')}`)
  ).body
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const seen = ev.map((e) => `${e.Action} ${e.Actor.ID.slice(0, 8)}`);
  for (const want of [
    'create named1',
    'create named2',
    `create ${anon.Name.slice(0, 8)}`,
    `destroy ${anon.Name.slice(0, 8)}`,
    'destroy named2',
    'prune ',
  ])
    assert.ok(seen.includes(want), `${want} in ${seen.join(', ')}`);
  const create = ev.find((e) => e.Action === 'create' && e.Actor.ID === 'named1');
  assert.deepEqual(create.Actor.Attributes, { driver: 'local' });
  assert.equal(create.Type, 'volume');
  assert.equal(create.scope, 'local');
  const prune = ev.find((e) => e.Action === 'prune');
  assert.ok('reclaimed' in prune.Actor.Attributes);
});

test('the docker CLI and the berth CLI print the same', { skip: skipDocker }, async () => {
  await cleanVolumes();
  for (const bin of ['docker', 'berth'] as const) {
    const c = await cli(
      bin,
      'volume',
      'create',
      '--label',
      'k=v',
      '-o',
      'type=tmpfs',
      '-o',
      'device=tmpfs',
      '-o',
      'o=size=1m',
      `v-${bin}`,
    );
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, `v-${bin}\n`);
    assert.equal((await cli(bin, 'volume', 'create', `w-${bin}-10`)).code, 0);
    assert.equal((await cli(bin, 'volume', 'create', `w-${bin}-9`)).code, 0);
  }
  const outputs = async (bin: 'docker' | 'berth') => [
    (await cli(bin, 'volume', 'ls')).stdout,
    (await cli(bin, 'volume', 'ls', '-q')).stdout,
    (
      await cli(
        bin,
        'volume',
        'ls',
        '--format',
        '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{.Label "k"}} {{.Links}} {{.Size}}',
      )
    ).stdout,
    (await cli(bin, 'volume', 'ls', '-f', 'label=k')).stdout,
    (await cli(bin, 'volume', 'ls', '--format', 'json')).stdout,
    (await cli(bin, 'volume', 'inspect', 'v-docker', 'v-berth')).stdout,
    (await cli(bin, 'volume', 'inspect', '-f', '{{.Name}}:{{.Options.type}}', 'v-docker')).stdout,
    // Go's volume.Volume: nil maps are empty maps, absent pointers <nil>, in a template.
    (
      await cli(
        bin,
        'volume',
        'inspect',
        '-f',
        '{{.Labels}}|{{.Options}}|{{.Status}}|{{.UsageData}}|{{.ClusterVolume}}|{{index .Labels "x"}}',
        'w-docker-9',
      )
    ).stdout,
    (await cli(bin, 'volume', 'inspect', 'nope')).stderr,
  ];
  assert.deepEqual(await outputs('berth'), await outputs('docker'));
  const ls = (await cli('berth', 'volume', 'ls')).stdout;
  assert.equal(
    ls,
    'DRIVER    VOLUME NAME\nlocal     v-berth\nlocal     v-docker\nlocal     w-berth-9\nlocal     w-berth-10\nlocal     w-docker-9\nlocal     w-docker-10\n',
  );
  for (const bin of ['docker', 'berth'] as const) {
    const r = await cli(bin, 'volume', 'rm', `w-${bin}-9`, 'nope', `w-${bin}-10`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `w-${bin}-9\nw-${bin}-10\n`);
    assert.match(r.stderr, /Error response from daemon: get nope: no such volume/);
  }
  for (const bin of ['docker', 'berth'] as const) {
    const anon = (await api('POST', '/volumes/create', {})).json().Name;
    const p = await cli(bin, 'volume', 'prune', '-f');
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`);
    const none = await cli(bin, 'volume', 'prune', '-f', '--all');
    assert.equal(none.stdout, 'Total reclaimed space: 0B\n', 'volumes with options are never pruned');
  }
  const inspect = await cli('berth', 'inspect', '--format', '{{.Driver}}', 'v-berth');
  assert.equal(inspect.stdout, 'local\n');
  const df = await cli('berth', 'system', 'df', '-v');
  assert.match(df.stdout, /Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n/);
});

test('a volume plugin through berthd: found by its socket, used, and a broken one fails clearly', {
  skip: skipDocker,
}, async () => {
  await cleanVolumes();
  const name = `berthtest-${randomBytes(4).toString('hex')}`;
  mkdirSync('/run/docker/plugins', { recursive: true });
  const sock = `/run/docker/plugins/${name}.sock`;
  let plugin: FakePlugin | undefined;
  try {
    plugin = await startFakePlugin(sock, join(d.root, 'plugin-data'));
    const c = await cli('docker', 'volume', 'create', '-d', name, '-o', 'size=5g', '--label', 'x=y', 'pv1');
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(plugin.volumes.get('pv1')?.opts, { size: '5g' });
    const v = (await api('GET', '/volumes/pv1')).json();
    assert.equal(v.Driver, name);
    assert.deepEqual(v.Options, { size: '5g' });
    assert.deepEqual(v.Labels, { x: 'y' });
    assert.deepEqual(v.Status, { mounts: 0 });
    assert.equal(v.Scope, 'local');
    assert.deepEqual(await names(filters({ driver: [name] })), ['pv1']);
    // The same name with the local driver is a conflict.
    const clash = await api('POST', '/volumes/create', { Name: 'pv1', Driver: 'local' });
    assert.equal(clash.status, 409);
    assert.equal(
      clash.json().message,
      `create pv1: driver '${name}' already has volume 'pv1': volume name must be unique`,
    );

    plugin.misbehave['VolumeDriver.Create'] = 'hang';
    const t0 = Date.now();
    const hung = await api('POST', '/volumes/create', { Name: 'pv2', Driver: name });
    assert.equal(hung.status, 500);
    assert.match(
      hung.json().message,
      new RegExp(`create pv2: VolumeDriver.Create: volume plugin ${name} did not answer within 1s`),
    );
    assert.ok(Date.now() - t0 < 10_000);
    plugin.misbehave['VolumeDriver.Create'] = 'garbage';
    const junk = await api('POST', '/volumes/create', { Name: 'pv3', Driver: name });
    assert.equal(junk.status, 500);
    assert.match(junk.json().message, /answered something that is not a JSON object/);
    assert.deepEqual(await names(), ['pv1'], 'no half-made volume');
    assert.ok(!existsSync(join(d.dataRoot, 'volumes', 'pv2')));

    plugin.misbehave['VolumeDriver.List'] = 'hang';
    const ls = (await api('GET', '/volumes')).json();
    assert.deepEqual(
      ls.Volumes.map((x: { Name: string }) => x.Name),
      ['pv1'],
    );
    assert.match(ls.Warnings[0], /did not answer within 1s/);
    delete plugin.misbehave['VolumeDriver.List'];
    const rm = await cli('docker', 'volume', 'rm', 'pv1');
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(!plugin.volumes.has('pv1'));
  } finally {
    await plugin?.close();
    rmSync(sock, { force: true });
  }
});
