import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { PluginRegistry } from './plugins.ts';
import { startFakePlugin } from './testing/fake-plugin.ts';
import { Volumes } from './volumes.ts';

function tmp() {
  const path = mkdtempSync('/tmp/berth-plug-');
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

async function setup(t: { path: string }, timeoutMs = 800) {
  const sockets = join(t.path, 'plugins');
  const specs = join(t.path, 'specs');
  mkdirSync(sockets);
  mkdirSync(specs);
  const plugin = await startFakePlugin(join(sockets, 'testvol.sock'), join(t.path, 'plugin-data'));
  const v = new Volumes({
    root: join(t.path, 'volumes'),
    plugins: new PluginRegistry({ paths: { sockets, specs: [specs] }, timeoutMs }),
  });
  await v.load();
  return { v, plugin, specs };
}

test('a volume plugin found by its socket: create, mount, list, inspect, unmount, remove', async () => {
  using t = tmp();
  const { v, plugin } = await setup(t);
  try {
    const { record } = await v.create({ name: 'pv', driver: 'testvol', options: { size: '1g' } });
    assert.equal(record.driver, 'testvol');
    assert.deepEqual(plugin.volumes.get('pv')?.opts, { size: '1g' });
    assert.ok(existsSync(join(t.path, 'volumes', 'pv', 'volume.json')));
    assert.ok(!existsSync(join(t.path, 'volumes', 'pv', '_data')), 'a plugin volume has no local data dir');
    const mp = await v.mount('pv', 'ctr1');
    assert.equal(mp, join(t.path, 'plugin-data', 'pv'));
    const info = await v.describe(record);
    assert.equal(info.mountpoint, mp);
    assert.deepEqual(info.status, { mounts: 1 });
    const { volumes, warnings } = await v.listAll();
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      volumes.map((x) => [x.record.name, x.record.driver]),
      [['pv', 'testvol']],
    );
    await v.unmount('pv', 'ctr1');
    await v.remove('pv');
    assert.ok(!plugin.volumes.has('pv'));
    assert.ok(!existsSync(join(t.path, 'volumes', 'pv')));
    const methods = plugin.calls.map((c) => c.method);
    assert.equal(methods[0], 'Plugin.Activate');
    assert.equal(methods.filter((m) => m === 'Plugin.Activate').length, 1, 'activated once');
    assert.deepEqual(plugin.calls.find((c) => c.method === 'VolumeDriver.Mount')?.body, { Name: 'pv', ID: 'ctr1' });
  } finally {
    await plugin.close();
  }
});

test('a plugin found by a spec file', async () => {
  using t = tmp();
  const { v, plugin, specs } = await setup(t);
  try {
    // The same server under another name, reached through /etc/docker/plugins/<name>.spec.
    writeFileSync(join(specs, 'byspec.spec'), `unix://${plugin.socket}\n`);
    const { record } = await v.create({ name: 'sv', driver: 'byspec' });
    assert.equal(record.driver, 'byspec');
    writeFileSync(join(specs, 'byjson.json'), JSON.stringify({ Name: 'byjson', Addr: `unix://${plugin.socket}` }));
    assert.equal((await v.create({ name: 'jv', driver: 'byjson' })).record.driver, 'byjson');
  } finally {
    await plugin.close();
  }
});

test('a plugin that hangs or answers garbage: a clear error within the deadline, no half-made volume', async () => {
  using t = tmp();
  const { v, plugin } = await setup(t, 500);
  try {
    plugin.misbehave['VolumeDriver.Create'] = 'hang';
    const t0 = Date.now();
    await assert.rejects(
      v.create({ name: 'slow', driver: 'testvol' }),
      (e: Error) =>
        isKind(e, 'internal') &&
        /create slow: VolumeDriver.Create: volume plugin testvol did not answer within 0.5s/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(!v.get('slow'));
    assert.ok(!existsSync(join(t.path, 'volumes', 'slow')));

    plugin.misbehave['VolumeDriver.Create'] = 'garbage';
    await assert.rejects(
      v.create({ name: 'junk', driver: 'testvol' }),
      /create junk: VolumeDriver.Create: volume plugin testvol answered something that is not a JSON object/,
    );
    plugin.misbehave['VolumeDriver.Create'] = 'error';
    await assert.rejects(v.create({ name: 'nope', driver: 'testvol' }), /VolumeDriver.Create refused by the test/);
    plugin.misbehave['VolumeDriver.Create'] = 'http500';
    await assert.rejects(v.create({ name: 'nope', driver: 'testvol' }), /internal trouble/);
    assert.deepEqual(v.list(), []);

    delete plugin.misbehave['VolumeDriver.Create'];
    await v.create({ name: 'ok', driver: 'testvol' });
    plugin.misbehave['VolumeDriver.Mount'] = 'bad-mountpoint';
    await assert.rejects(v.mount('ok', 'c1'), /Mountpoint that is not an absolute path/);
    plugin.misbehave['VolumeDriver.Mount'] = 'hang';
    await assert.rejects(v.mount('ok', 'c1'), /did not answer within/);
    plugin.misbehave['VolumeDriver.List'] = 'garbage';
    const { volumes, warnings } = await v.listAll();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /list testvol: VolumeDriver.List/);
    assert.deepEqual(
      volumes.map((x) => x.record.name),
      ['ok'],
      'a broken plugin still shows its recorded volumes',
    );
    plugin.misbehave['VolumeDriver.Remove'] = 'error';
    await assert.rejects(v.remove('ok'), /remove ok: VolumeDriver.Remove: VolumeDriver.Remove refused/);
    assert.ok(v.get('ok'));
    await v.remove('ok', { force: true });
    assert.ok(!v.get('ok'), 'force purges the record when the driver fails');
  } finally {
    await plugin.close();
  }
});

test('activation: a socket that is not a volume plugin, or none at all', async () => {
  using t = tmp();
  const { v, plugin } = await setup(t);
  try {
    plugin.misbehave['Plugin.Activate'] = 'error';
    await assert.rejects(
      v.create({ name: 'x1', driver: 'testvol' }),
      /create x1: error looking up volume plugin testvol: Plugin.Activate: Plugin.Activate refused/,
    );
    delete plugin.misbehave['Plugin.Activate'];
    await v.create({ name: 'x1', driver: 'testvol' }); // a failed activation is not kept
    await assert.rejects(v.create({ name: 'x2', driver: '../../etc/passwd' }), (e: Error) => isKind(e, 'not-found'));
    assert.equal(readFileSync('/etc/hostname', 'utf8').length > 0, true);
  } finally {
    await plugin.close();
  }
});
