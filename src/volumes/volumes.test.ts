import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { writeRecord } from '../metadata/record-dir.ts';
import { openRoot } from '../sys/inroot.ts';
import { closeFd } from '../sys/libc.ts';
import { isMounted } from '../sys/mountinfo.ts';
import { ANONYMOUS_LABEL } from './names.ts';
import { PluginRegistry } from './plugins.ts';
import { Volumes } from './volumes.ts';

const isRoot = process.getuid?.() === 0;

function tmp() {
  const path = mkdtempSync('/tmp/berth-vols-');
  return {
    path,
    [Symbol.dispose]: () => {
      try {
        rmSync(path, { recursive: true, force: true });
      } catch {
        /* a test failed with something mounted */
      }
    },
  };
}

async function open(root: string): Promise<Volumes> {
  const v = new Volumes({
    root,
    plugins: new PluginRegistry({ paths: { sockets: join(root, '..', 'no-sockets'), specs: [] } }),
  });
  await v.load();
  return v;
}

test('create is idempotent for a driver, 404 for an unknown one; references keep a volume', async () => {
  using t = tmp();
  const v = await open(join(t.path, 'volumes'));
  const a = await v.create({ name: 'pgdata', labels: { app: 'db' } });
  assert.equal(a.created, true);
  assert.ok(existsSync(join(t.path, 'volumes', 'pgdata', '_data')));
  assert.equal((await v.create({ name: 'pgdata', driver: 'local' })).created, false);
  assert.deepEqual((await v.create({ name: 'pgdata' })).record.labels, { app: 'db' });
  await assert.rejects(
    v.create({ name: 'pgdata', driver: 'nosuchplugin' }),
    (e: Error) => isKind(e, 'not-found') && /error looking up volume plugin nosuchplugin/.test(e.message),
  );
  await v.create({ name: 'pgdata', ref: 'ctr1' });
  await assert.rejects(
    v.remove('pgdata'),
    (e: Error) => isKind(e, 'conflict') && e.message === 'remove pgdata: volume is in use - [ctr1]',
  );
  await assert.rejects(v.remove('pgdata', { force: true }), (e: Error) => isKind(e, 'conflict'));
  await v.release('pgdata', 'ctr1');
  assert.ok(await v.remove('pgdata'));
  assert.ok(!existsSync(join(t.path, 'volumes', 'pgdata')));
  await assert.rejects(
    v.remove('pgdata'),
    (e: Error) => isKind(e, 'not-found') && e.message === 'get pgdata: no such volume',
  );
  assert.equal(await v.remove('pgdata', { force: true }), undefined);
  await assert.rejects(
    v.create({ name: 'a/b' }),
    (e: Error) => isKind(e, 'invalid-argument') && /^create a\/b: /.test(e.message),
  );
  await assert.rejects(v.create({ name: 'x1', options: { foo: 'bar' } }), /create x1: invalid option: "foo"/);
  await assert.rejects(v.create({ name: 'x2', options: { o: 'size=1m' } }), /missing required option/);
  assert.ok(!existsSync(join(t.path, 'volumes', 'x1')), 'a refused create leaves nothing');
});

test('anonymous volumes get a 64-hex name and the anonymous label', async () => {
  using t = tmp();
  const v = await open(join(t.path, 'volumes'));
  const { record } = await v.create({});
  assert.match(record.name, /^[0-9a-f]{64}$/);
  assert.deepEqual(record.labels, { [ANONYMOUS_LABEL]: '' });
});

test('a remove racing a create with a reference never takes the volume from under it', async () => {
  using t = tmp();
  const v = await open(join(t.path, 'volumes'));
  await v.create({ name: 'shared' });
  for (let i = 0; i < 20; i++) {
    // Both orders: the remove queued first, or the create.
    const ops =
      i % 2 === 0
        ? [v.create({ name: 'shared', ref: `c${i}` }), v.remove('shared')]
        : [v.remove('shared'), v.create({ name: 'shared', ref: `c${i}` })].reverse();
    const [c, r] = await Promise.allSettled(ops);
    assert.equal(c.status, 'fulfilled');
    // Whoever ran first: the volume exists now and holds the reference.
    assert.ok(v.get('shared'));
    assert.ok(v.refsOf('shared').includes(`c${i}`));
    if (r.status === 'rejected') assert.ok(isKind(r.reason, 'conflict'));
    await v.release('shared', `c${i}`);
  }
});

test('start-up sweeps interrupted creates and removals and quarantines damaged records', async () => {
  using t = tmp();
  const root = join(t.path, 'volumes');
  mkdirSync(join(root, '.tmp-half-0a0b', '_data'), { recursive: true });
  mkdirSync(join(root, '.trash-gone-0a0b', '_data'), { recursive: true });
  writeFileSync(join(root, '.trash-gone-0a0b', '_data', 'f'), 'x');
  mkdirSync(join(root, 'torn', '_data'), { recursive: true });
  writeFileSync(join(root, 'torn', 'volume.json'), '{"schema":1,"na');
  mkdirSync(join(root, 'ok', '_data'), { recursive: true });
  await writeRecord(join(root, 'ok', 'volume.json'), {
    schema: 1,
    name: 'ok',
    driver: 'local',
    createdAt: '2024-01-01T00:00:00Z',
    labels: null,
    options: null,
  });
  const v = new Volumes({ root, plugins: new PluginRegistry({ paths: { sockets: '/nonexistent', specs: [] } }) });
  const { quarantined } = await v.load();
  assert.deepEqual(
    v.list().map((r) => r.name),
    ['ok'],
  );
  assert.deepEqual(readdirSync(root).sort(), ['ok']);
  assert.equal(quarantined.length, 1);
  assert.match(quarantined[0].reason, /volume torn/);
  assert.ok(existsSync(quarantined[0].path), 'the damaged record is kept aside');
});

test('a copy-up cut short is undone at start-up, never taken for done', async () => {
  using t = tmp();
  const root = join(t.path, 'volumes');
  let v = await open(root);
  await v.create({ name: 'cu' });
  const data = join(root, 'cu', '_data');
  // The crash: marker written, part of the tree copied.
  await writeRecord(join(root, 'cu', 'copyup.json'), { names: ['etc', 'lib'] });
  mkdirSync(join(data, 'etc', 'app'), { recursive: true });
  writeFileSync(join(data, 'etc', 'app', 'half'), 'x');
  v = new Volumes({ root, plugins: new PluginRegistry({ paths: { sockets: '/nonexistent', specs: [] } }) });
  const { undone } = await v.load();
  assert.deepEqual(undone, ['cu']);
  assert.deepEqual(readdirSync(data), []);
  assert.ok(!existsSync(join(root, 'cu', 'copyup.json')));
  // The next populate copies it whole.
  const src = join(t.path, 'img');
  mkdirSync(join(src, 'etc', 'app'), { recursive: true });
  writeFileSync(join(src, 'etc', 'app', 'conf'), 'whole');
  const fd = openRoot(src);
  try {
    assert.ok(await v.populate('cu', 'c1', fd));
    assert.equal(await v.populate('cu', 'c2', fd), undefined, 'a volume with data is never copied into');
  } finally {
    closeFd(fd);
  }
  assert.equal(readFileSync(join(data, 'etc', 'app', 'conf'), 'utf8'), 'whole');
  assert.ok(!existsSync(join(root, 'cu', 'copyup.json')));
});

test("a volume's _data replaced by a symlink is never followed by copy-up, mount or remove", async () => {
  using t = tmp();
  const root = join(t.path, 'volumes');
  const v = await open(root);
  await v.create({ name: 'evil' });
  const canary = join(t.path, 'canary');
  mkdirSync(canary);
  writeFileSync(join(canary, 'keep'), 'host data');
  rmSync(join(root, 'evil', '_data'), { recursive: true });
  symlinkSync(canary, join(root, 'evil', '_data'));
  const src = join(t.path, 'img');
  mkdirSync(src);
  writeFileSync(join(src, 'planted'), 'x');
  const fd = openRoot(src);
  try {
    await assert.rejects(v.populate('evil', 'c1', fd), (e: Error) => isKind(e, 'invalid-argument'));
  } finally {
    closeFd(fd);
  }
  await assert.rejects(v.mount('evil', 'c1'), /refusing to use it|not a directory/);
  assert.deepEqual(readdirSync(canary), ['keep']);
  await v.remove('evil');
  assert.equal(readFileSync(join(canary, 'keep'), 'utf8'), 'host data');
  assert.ok(!existsSync(join(root, 'evil')));
});

test('local volumes with mount options: mounted on first use, unmounted after the last', {
  skip: !isRoot && 'needs root',
}, async () => {
  using t = tmp();
  const root = join(t.path, 'volumes');
  const v = await open(root);
  await v.create({ name: 'tm', options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=0700' } });
  const data = join(root, 'tm', '_data');
  assert.ok(!isMounted(data), 'not mounted until a container needs it');
  await v.mount('tm', 'c1');
  await v.mount('tm', 'c2');
  assert.ok(isMounted(data));
  writeFileSync(join(data, 'f'), 'x');
  await v.unmount('tm', 'c1');
  assert.ok(isMounted(data), 'still used by c2');
  await v.unmount('tm', 'c2');
  assert.ok(!isMounted(data));
  assert.deepEqual(readdirSync(data), [], 'the tmpfs is gone with its last user');

  // A bind of a host directory: removing the volume never deletes the host's files, even
  // when a crash left it mounted.
  const host = join(t.path, 'srv');
  mkdirSync(host);
  writeFileSync(join(host, 'precious'), 'host');
  await v.create({ name: 'bd', options: { type: 'none', o: 'bind', device: host } });
  await v.mount('bd', 'c1');
  assert.equal(readFileSync(join(root, 'bd', '_data', 'precious'), 'utf8'), 'host');
  const again = await open(root); // berthd restarted: still mounted, nobody uses it
  assert.deepEqual(again.local.unmountIdle(), ['bd']);
  assert.ok(!isMounted(join(root, 'bd', '_data')));
  await again.mount('bd', 'c9');
  await again.remove('bd').catch(() => {}); // refused or not, the host data stays
  await again.unmount('bd', 'c9');
  await again.remove('bd');
  assert.equal(readFileSync(join(host, 'precious'), 'utf8'), 'host');
  await assert.rejects(
    again.create({ name: 'sz', options: { size: '10m' } }),
    /quota size requested but no quota support/,
  );
  await again.create({ name: 'bad', options: { type: 'nosuchfs', device: 'x' } });
  await assert.rejects(
    again.mount('bad', 'c1'),
    /mount bad: failed to mount local volume: mount x:\/.*\/bad\/_data, flags: 0x0: no such device$/,
  );
  // A bind of a missing device names it and the kernel's reason, not the fd path used.
  await again.create({ name: 'gone', options: { type: 'none', o: 'bind', device: join(host, 'nothing') } });
  await assert.rejects(
    again.mount('gone', 'c1'),
    /failed to mount local volume: mount \/.*\/nothing:\/.*\/gone\/_data, flags: 0x1000: no such file or directory$/,
  );
});
