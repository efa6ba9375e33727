// Volumes under faults: berthd SIGKILLed at any point of create/remove, in the middle of a
// copy-up, and while a container holds an option-mounted volume; removals racing container
// creates and prunes (one lock, never check-then-act); a volume plugin used by containers
// that hangs on Mount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasDockerCli, isRoot, mountsUnder, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';
import { startFakePlugin } from '../src/volumes/testing/fake-plugin.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
useDaemon((x) => (d = x), { config: { 'volume-plugin-timeout': 2 } });

const api = (method: string, path: string, body?: unknown) => d.api(method, path, body === undefined ? {} : { body });
const docker = async (...args: string[]) => {
  const r = await runCli('docker', d, args, undefined, 180_000);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
};
const volumesDir = () => join(d.dataRoot, 'volumes');
const names = async () =>
  ((await api('GET', '/volumes')).json().Volumes as { Name: string }[]).map((v) => v.Name).sort();

/** What must hold after any crash: every listed volume whole, nothing half made or half removed. */
async function assertConsistent(acknowledged: Set<string>): Promise<void> {
  const listed = await names();
  for (const n of acknowledged) assert.ok(listed.includes(n), `acknowledged volume ${n} survived`);
  const onDisk = readdirSync(volumesDir());
  assert.deepEqual(
    onDisk.filter((n) => n.startsWith('.')),
    [],
    'no staging or trash left',
  );
  for (const n of onDisk) {
    assert.ok(listed.includes(n), `${n} on disk is a volume`);
    assert.ok(existsSync(join(volumesDir(), n, 'volume.json')));
    assert.ok(existsSync(join(volumesDir(), n, '_data')));
  }
}

test('berthd SIGKILLed at any point of volume creates and removes: every acknowledged volume whole, nothing half made', {
  skip,
}, async () => {
  const acknowledged = new Set<string>();
  for (let round = 0; round < 6; round++) {
    let stop = false;
    const work = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `r${round}-${i}`;
        const r = await api('POST', '/volumes/create', { Name: name }).catch(() => undefined);
        if (r?.status !== 201) break;
        // Data written into an acknowledged volume is the user's: it must survive too.
        writeFileSync(join(volumesDir(), name, '_data', 'payload'), name);
        acknowledged.add(name);
        if (i % 3 === 2) {
          const prev = `r${round}-${i - 1}`;
          const del = await api('DELETE', `/volumes/${prev}`).catch(() => undefined);
          if (del?.status === 204) acknowledged.delete(prev);
          else if (del) assert.fail(`delete answered ${del.status}`);
          else acknowledged.delete(prev); // the answer was lost: either outcome is fine
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 30 + Math.floor(Math.random() * 120)));
    await d.stop('SIGKILL');
    stop = true;
    await work.catch(() => {});
    await d.start();
    await assertConsistent(acknowledged);
    for (const n of acknowledged)
      assert.ok(existsSync(join(volumesDir(), n, '_data', 'payload')), `the data in ${n} survived`);
  }
  for (const n of await names()) await api('DELETE', `/volumes/${n}`);
});

test('berthd SIGKILLed during a copy-up: the half copy is undone at start-up and the next container copies it whole', {
  skip,
}, async () => {
  const ctx = mkdtempSync(join(tmpdir(), 'berth-bigvol-'));
  try {
    writeFileSync(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nRUN mkdir /data && cd /data && seq 1 8000 | xargs -n 500 touch && echo seeded > /data/zz-last\nVOLUME /data\n',
    );
    const b = await runCli('berth', d, ['build', '-q', '-t', 'bigvol', ctx], undefined, 300_000);
    assert.equal(b.code, 0, b.stderr);
    const marker = join(volumesDir(), 'cu', 'copyup.json');
    const creating = runCli(
      'docker',
      d,
      ['create', '--name', 'cuc', '-v', 'cu:/data', 'bigvol', 'true'],
      undefined,
      60_000,
    );
    await waitFor(async () => existsSync(marker), 30_000, 2);
    await d.stop('SIGKILL');
    await creating;
    await d.start();
    assert.ok(!existsSync(marker), 'the marker is gone');
    assert.deepEqual(readdirSync(join(volumesDir(), 'cu', '_data')), [], 'the half copy was undone');
    const count = await docker(
      'run',
      '--rm',
      '-v',
      'cu:/data',
      'bigvol',
      'sh',
      '-c',
      'ls /data | wc -l; cat /data/zz-last',
    );
    assert.deepEqual(
      count.split('\n').map((s) => s.trim()),
      ['8001', 'seeded'],
    );
    await runCli('docker', d, ['rm', '-f', 'cuc']);
    await docker('volume', 'rm', 'cu');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

test('a container holding a tmpfs volume survives a berthd SIGKILL; the mount is counted again and goes after the last user', {
  skip,
}, async () => {
  await docker('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=4m', 'tv');
  const data = join(volumesDir(), 'tv', '_data');
  await docker('run', '-d', '--name', 'tv1', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'echo kept > /t/f; sleep 1d');
  await waitFor(async () => (await runCli('docker', d, ['exec', 'tv1', 'cat', '/t/f'])).stdout.trim() === 'kept');
  assert.equal(mountsUnder(data).length, 1, 'mounted while used');
  await d.stop('SIGKILL');
  await d.start();
  assert.equal(await docker('exec', 'tv1', 'cat', '/t/f'), 'kept', 'the container and its data are untouched');
  assert.equal(mountsUnder(data).length, 1, 'a running user keeps it mounted across the restart');
  await docker('run', '-d', '--name', 'tv2', '-v', 'tv:/t', 'busybox', 'sleep', '1d');
  assert.equal(await docker('exec', 'tv2', 'cat', '/t/f'), 'kept', 'a second user shares the same tmpfs');
  assert.equal((await api('DELETE', '/volumes/tv')).status, 409);
  await docker('stop', '-t', '0', 'tv1');
  assert.equal(mountsUnder(data).length, 1, 'still one user');
  await docker('stop', '-t', '0', 'tv2');
  await waitFor(async () => mountsUnder(data).length === 0);
  await docker('rm', 'tv1', 'tv2');
  await docker('volume', 'rm', 'tv');

  // Left mounted by a berthd that died; its only user exited while it was down: the mount
  // goes at start-up.
  await docker('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'tv3');
  await docker('run', '-d', '--name', 'tv3c', '-v', 'tv3:/t', 'busybox', 'sleep', '2');
  const tv3pid = Number(await docker('inspect', '-f', '{{.State.Pid}}', 'tv3c'));
  await d.stop('SIGKILL');
  assert.equal(mountsUnder(join(volumesDir(), 'tv3', '_data')).length, 1);
  await waitFor(async () => !existsSync(`/proc/${tv3pid}`), 60_000);
  await d.start();
  assert.equal(mountsUnder(join(volumesDir(), 'tv3', '_data')).length, 0);
  await docker('rm', 'tv3c');
  await docker('volume', 'rm', 'tv3');
});

test('a volume being removed while containers are created with it: one lock, never a container without its volume', {
  skip,
}, async () => {
  for (let i = 0; i < 15; i++) {
    const v = `race${i}`;
    await api('POST', '/volumes/create', { Name: v });
    const [c, r] = await Promise.all([
      api('POST', '/containers/create', { Image: 'busybox', Cmd: ['cat', '/x/f'], HostConfig: { Binds: [`${v}:/x`] } }),
      api('DELETE', `/volumes/${v}`),
    ]);
    assert.equal(c.status, 201, c.body.toString());
    assert.ok([204, 409].includes(r.status), `${r.status} ${r.body}`);
    // Whoever won, the container's volume exists now and cannot be taken from it.
    assert.equal((await api('GET', `/volumes/${v}`)).status, 200);
    assert.equal((await api('DELETE', `/volumes/${v}`)).status, 409);
    const id = c.json().Id;
    const start = await api('POST', `/containers/${id}/start`);
    assert.equal(start.status, 204, start.body.toString());
    await api('DELETE', `/containers/${id}?force=1`);
    assert.equal((await api('DELETE', `/volumes/${v}`)).status, 204);
  }
  // Prune racing creates never takes a referenced volume.
  for (let i = 0; i < 10; i++) await api('POST', '/volumes/create', { Name: `p${i}` });
  const creates = Array.from({ length: 10 }, (_, i) =>
    api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`p${i}:/x`] } }),
  );
  const prune = api('POST', '/volumes/prune?filters=%7B%22all%22%3A%5B%22true%22%5D%7D');
  const made = await Promise.all(creates);
  await prune;
  for (const [i, c] of made.entries()) {
    assert.equal(c.status, 201);
    assert.equal((await api('GET', `/volumes/p${i}`)).status, 200, `p${i} kept: a container references it`);
    await api('DELETE', `/containers/${c.json().Id}?v=1`);
  }
  await api('POST', '/volumes/prune?filters=%7B%22all%22%3A%5B%22true%22%5D%7D');
  assert.deepEqual(await names(), []);
});

test('a volume plugin used by containers: Mount and Unmount per container, a hanging Mount fails the start clearly', {
  skip,
}, async () => {
  const name = `berthtest-${randomBytes(4).toString('hex')}`;
  mkdirSync('/run/docker/plugins', { recursive: true });
  const sock = `/run/docker/plugins/${name}.sock`;
  const plugin = await startFakePlugin(sock, join(d.root, 'plugin-data'));
  try {
    const id = await docker(
      'run',
      '-d',
      '--volume-driver',
      name,
      '-v',
      'pv:/d',
      'busybox',
      'sh',
      '-c',
      'echo via-plugin > /d/f; sleep 1d',
    );
    await waitFor(async () => existsSync(join(d.root, 'plugin-data', 'pv', 'f')));
    const mount = plugin.calls.find((c) => c.method === 'VolumeDriver.Mount');
    assert.deepEqual(mount?.body, { Name: 'pv', ID: id });
    const m = JSON.parse(await docker('inspect', '-f', '{{json .Mounts}}', id))[0];
    assert.equal(m.Driver, name);
    assert.equal(m.Source, join(d.root, 'plugin-data', 'pv'));
    assert.equal(m.Mode, '');
    await docker('rm', '-f', id);
    assert.ok(plugin.calls.some((c) => c.method === 'VolumeDriver.Unmount' && c.body.ID === id));
    assert.equal(plugin.volumes.get('pv')?.mounts.size, 0);

    plugin.misbehave['VolumeDriver.Mount'] = 'hang';
    const t0 = Date.now();
    const r = await runCli('docker', d, ['run', '--rm', '--volume-driver', name, '-v', 'pv:/d', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /mount pv: VolumeDriver.Mount: volume plugin .* did not answer within 2s/);
    assert.ok(Date.now() - t0 < 20_000);
    delete plugin.misbehave['VolumeDriver.Mount'];
    assert.equal(
      await docker('run', '--rm', '--volume-driver', name, '-v', 'pv:/d', 'busybox', 'cat', '/d/f'),
      'via-plugin',
    );
    await docker('volume', 'rm', 'pv');
    assert.ok(!plugin.volumes.has('pv'));
  } finally {
    await plugin.close();
    rmSync(sock, { force: true });
  }
});
