// cp (HEAD/GET/PUT /containers/{id}/archive) against a real berthd, including the
// symlink-escape shapes of CVE-2018-15664 and CVE-2019-14271.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isRoot, mountsUnder, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { createContainer, waitFor } from './helpers/containers.ts';
import { join } from 'node:path';
import { tarToBuffer } from '../src/tar/writer.ts';
import { listTar, startAndWait } from './helpers/fs.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;
useDaemon((x) => (d = x));

const statOf = (r: { headers: Record<string, unknown> }) =>
  JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString());
const oneFile = (name: string, body: string) =>
  tarToBuffer([{ entry: { name, type: 'file', mode: 0o640, uid: 7, gid: 8 }, body }]);
const put = async (id: string, path: string, tar: Buffer, q = '') =>
  d.api('PUT', `/containers/${id}/archive?path=${encodeURIComponent(path)}${q}`, {
    raw: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
const get = (id: string, path: string, method = 'GET') =>
  d.api(method, `/containers/${id}/archive?path=${encodeURIComponent(path)}`);
/** A small file's contents, read back through GET. */
async function readIn(id: string, path: string): Promise<string> {
  const r = await get(id, path);
  assert.equal(r.status, 200, String(r.body));
  return (await listTar(r.body))[0]?.body ?? '';
}

async function running(cmd = 'exec sleep 1000'): Promise<string> {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sh', '-c', `${cmd}`] });
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  return id;
}

for (const mode of ['running', 'stopped'] as const) {
  test(`cp ${mode}: HEAD stat, GET a file and a directory, PUT into a directory`, { skip }, async () => {
    const id = await createContainer(d, {
      Image: 'busybox',
      Cmd: [
        'sh',
        '-c',
        'mkdir -p /data/sub; echo one > /data/sub/a; ln -s /data/sub/a /data/lnk; touch /ready; exec sleep 1000',
      ],
      Hostname: 'cphost',
    });
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
    await waitFor(async () => (await get(id, '/ready', 'HEAD')).status === 200);
    if (mode === 'stopped') {
      await d.api('POST', `/containers/${id}/kill`);
      await d.api('POST', `/containers/${id}/wait`);
    }
    const head = await get(id, '/data/sub/a', 'HEAD');
    assert.equal(head.status, 200);
    const st = statOf(head);
    assert.equal(st.name, 'a');
    assert.equal(st.size, 4);
    assert.equal(st.mode, 0o644);
    assert.equal(statOf(await get(id, '/data', 'HEAD')).mode, 2 ** 31 + 0o755);
    const lnk = statOf(await get(id, '/data/lnk', 'HEAD'));
    assert.equal(lnk.linkTarget, '/data/sub/a');
    assert.equal(lnk.mode, 2 ** 27 + 0o777);
    assert.equal((await get(id, '/nope', 'HEAD')).status, 404);

    const file = await get(id, '/data/sub/a');
    assert.equal(file.headers['content-type'], 'application/x-tar');
    assert.deepEqual(
      (await listTar(file.body)).map((e) => [e.name, e.body]),
      [['a', 'one\n']],
    );
    const dir = await listTar((await get(id, '/data')).body);
    assert.deepEqual(
      dir.map((e) => e.name),
      ['data/', 'data/lnk', 'data/sub/', 'data/sub/a'],
    );
    // /etc/hostname is the container's own (a bind mount), not the image's.
    assert.equal(await readIn(id, '/etc/hostname'), 'cphost\n');

    assert.equal((await put(id, '/data', await oneFile('sub/b', 'two'))).status, 200);
    assert.equal(await readIn(id, '/data/sub/b'), 'two');
    const b = (await listTar((await get(id, '/data/sub/b')).body))[0];
    assert.deepEqual([b.mode, b.uid, b.gid], [0o640, 7, 8]);
    assert.equal((await put(id, '/nope', await oneFile('x', 'x'))).status, 404);
    assert.equal((await put(id, '/data/sub/a', await oneFile('x', 'x'))).status, 400, 'not a directory');
    // noOverwriteDirNonDir: a file may not replace a directory.
    const clash = await put(id, '/data', await oneFile('sub', 'x'), '&noOverwriteDirNonDir=1');
    assert.equal(clash.status, 400);
    assert.equal((await get(id, '/data/sub/a', 'HEAD')).status, 200);
    await d.api('DELETE', `/containers/${id}?force=1`);
  });
}

test('cp into a path whose parent is a symlink to / writes inside the container', { skip }, async () => {
  const marker = `berth-cp-${randomBytes(6).toString('hex')}`;
  const id = await running('ln -s / /tmp/root; ln -s / /tmp/dir; exec sleep 1000');
  await waitFor(async () => (await get(id, '/tmp/root', 'HEAD')).status === 200);
  try {
    // The extraction point resolves through the symlink to the container's /.
    assert.equal((await put(id, '/tmp/root', await oneFile(marker, 'in'))).status, 200);
    // Entries whose parent is a symlink are confined to the extraction point (stricter than
    // Docker, which confines them to the container's root): /tmp/dir -> / means /tmp here.
    assert.equal((await put(id, '/tmp', await oneFile(`dir/${marker}-2`, 'in'))).status, 200);
    // `..` climbs stop at the container's root.
    assert.equal((await put(id, '/../../../../tmp/root', await oneFile(`${marker}-3`, 'in'))).status, 200);
    for (const n of [marker, `${marker}-2`, `${marker}-3`])
      assert.ok(!existsSync(`/${n}`), `host /${n} must not exist`);
    assert.equal(await readIn(id, `/${marker}`), 'in');
    assert.equal(await readIn(id, `/tmp/${marker}-2`), 'in');
    assert.equal(await readIn(id, `/${marker}-3`), 'in');
    // Names that climb out of the extraction point are refused outright.
    assert.equal((await put(id, '/tmp', await oneFile(`../../${marker}-4`, 'x'))).status, 400);
    assert.ok(!existsSync(`/${marker}-4`));
  } finally {
    for (const n of ['', '-2', '-3', '-4']) rmSync(`/${marker}${n}`, { force: true });
  }
});

test('cp GET never reads the host: .., absolute symlinks, symlinks swapped during the copy', { skip }, async () => {
  const hostPasswd = readFileSync('/etc/passwd', 'utf8');
  const id = await running(
    [
      'ln -s /etc/passwd /abs',
      'ln -s ../../../../../etc /rel',
      'mkdir -p /w/d',
      // CVE-2018-15664: flip /w/d between a directory and a symlink to / as fast as possible.
      'while true; do mv /w/d /w/t && ln -s / /w/d; rm -f /w/d; mv /w/t /w/d; done',
    ].join('; '),
  );
  await waitFor(async () => (await get(id, '/abs', 'HEAD')).status === 200);
  const bb = await readIn(id, '/../../../etc/passwd');
  assert.ok(bb.includes('www-data:x:33:33'), 'the container’s passwd');
  assert.notEqual(bb, hostPasswd);
  const abs = statOf(await get(id, '/abs', 'HEAD'));
  assert.equal(abs.linkTarget, '/etc/passwd');
  assert.equal((await get(id, '/abs/')).status, 404, 'a file is not a directory');
  const rel = await listTar((await get(id, '/rel/')).body);
  assert.ok(rel.some((e) => e.name === 'rel/passwd' && e.body === bb));
  // Race: a file that exists only on the host is never found; writes land in the container.
  const secret = `/berth-secret-${randomBytes(6).toString('hex')}`;
  const marker = `/berth-put-${randomBytes(6).toString('hex')}`;
  writeFileSync(secret, 'host only');
  try {
    for (let i = 0; i < 60; i++) {
      assert.equal((await get(id, `/w/d${secret}`)).status, 404);
      const p = await get(id, '/w/d/etc/passwd');
      if (p.status === 200) assert.equal((await listTar(p.body))[0].body, bb);
      const w = await put(id, '/w/d', await oneFile(marker.slice(1), 'x'));
      assert.ok([200, 404, 400].includes(w.status), String(w.status));
    }
    assert.ok(!existsSync(marker), 'nothing written on the host');
  } finally {
    rmSync(secret, { force: true });
    rmSync(marker, { force: true });
  }
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('cp never runs code from the container (CVE-2019-14271 shape)', { skip }, async () => {
  const marker = `/tmp/berth-ran-${randomBytes(6).toString('hex')}`;
  const evil = `#!/bin/sh\ntouch ${marker}\n`;
  const id = await running(
    [
      'mkdir -p /lib /lib64 /usr/lib',
      ...[
        '/bin/tar',
        '/usr/bin/tar',
        '/lib/libnss_files.so.2',
        '/lib64/libnss_files.so.2',
        '/usr/lib/libnss_files.so.2',
      ].map((p) => `rm -f ${p}; printf '${evil.replace(/\n/g, '\\n')}' > ${p}; chmod 755 ${p}`),
      'exec sleep 1000',
    ].join('; '),
  );
  await waitFor(async () => (await get(id, '/usr/lib/libnss_files.so.2', 'HEAD')).status === 200);
  assert.equal((await get(id, '/bin')).status, 200);
  assert.equal((await put(id, '/tmp', await oneFile('f', 'x'))).status, 200);
  assert.ok(!existsSync(marker));
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('cp of a stopped container leaves no mount behind; copyUIDGID owns files as the container user', {
  skip,
}, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['true'], User: 'www-data' });
  await startAndWait(d, id);
  assert.equal((await put(id, '/tmp', await oneFile('mine', 'x'), '&copyUIDGID=1')).status, 200);
  const e = (await listTar((await get(id, '/tmp/mine')).body))[0];
  assert.deepEqual([e.uid, e.gid], [33, 33]);
  // The view's directory goes after its unmount, which may come just after the body's end.
  await waitFor(async () => readdirSync(join(d.execRoot, 'views')).length === 0);
  assert.deepEqual(mountsUnder(join(d.execRoot, 'views')), []);
  // The container still starts: nothing of the copy's overlay is left on its upper/work dirs.
  assert.equal(await startAndWait(d, id), 0);
});
