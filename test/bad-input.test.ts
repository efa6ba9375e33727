// Hostile and malformed input against a real berthd: layer tars that try to write outside
// the layer, truncated and non-tar imports, malformed API requests, and damaged records on
// disk at start-up. Whatever comes in, nothing outside the data root changes, the answer is
// a clear 4xx in Docker's shape, and the daemon keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startDaemon, importBusybox, busyboxRootfs, isRoot, type TestDaemon } from './helpers/daemon.ts';
import { demux } from './helpers/http.ts';
import { runToCompletion, createContainer, waitFor } from './helpers/containers.ts';
import { tarToBuffer, type TarWriteEntry, type TarBody } from '../src/tar/writer.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;
/** A directory outside the daemon's data root holding a canary file; the daemon's root is inside it. */
let outside: string;
let canary: string;
const token = `esc${randomBytes(4).toString('hex')}`;

before(
  async () => {
    if (skip) return;
    outside = await mkdtemp(join(tmpdir(), 'berth-bad-'));
    canary = join(outside, 'canary.txt');
    await writeFile(canary, 'canary\n', { mode: 0o644 });
    await mkdir(join(outside, 'd'));
    d = await startDaemon({ root: join(outside, 'd') });
    await importBusybox(d);
  },
  { timeout: 60_000 },
);
after(async () => {
  try {
    if (d) await d.cleanup();
  } finally {
    if (outside) await rm(outside, { recursive: true, force: true });
  }
});

const q = (v: unknown) => encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));

type Entry = { entry: TarWriteEntry; body?: TarBody };
const file = (name: string, body: string, mode = 0o644): Entry => ({ entry: { name, type: 'file', mode }, body });
const dir = (name: string, mode = 0o755): Entry => ({ entry: { name, type: 'dir', mode } });
const symlink = (name: string, linkname: string): Entry => ({
  entry: { name, type: 'symlink', linkname, mode: 0o777 },
});
const hardlink = (name: string, linkname: string): Entry => ({ entry: { name, type: 'hardlink', linkname } });

/** A rootfs with just a static busybox, so a container can look at what the layer holds. */
function withBusybox(entries: Entry[]): Promise<Buffer> {
  const bb = statSync('/bin/busybox');
  return tarToBuffer([
    dir('bin/'),
    { entry: { name: 'bin/busybox', type: 'file', mode: 0o755, size: bb.size }, body: { path: '/bin/busybox' } },
    ...entries,
  ]);
}

async function importTar(tar: Buffer, repo?: string) {
  const r = await d.api('POST', `/images/create?fromSrc=-${repo ? `&repo=${q(repo)}` : ''}`, {
    raw: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  const id = r.status === 200 ? (JSON.parse(r.body.toString().trim().split('\n').pop()!).status as string) : undefined;
  return {
    status: r.status,
    id,
    text: r.body.toString(),
    message: r.status >= 400 ? (r.json().message as string) : undefined,
  };
}

/** Runs busybox in an image; returns stdout (and fails the test on a non-zero exit). */
async function inImage(image: string, script: string): Promise<string> {
  const r = await runToCompletion(d, { Image: image, Cmd: ['/bin/busybox', 'sh', '-c', script], Env: ['PATH=/bin'] });
  assert.equal(r.code, 0, `container: ${r.stderr}`);
  return r.stdout;
}

interface Snapshot {
  outside: string[];
  canary: { text: string; nlink: number; mode: number; mtimeMs: number };
  passwd: { sha: string; nlink: number; mode: number };
  outsideMode: number;
  images: string[];
  blobs: string[];
  layers: string[];
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function snapshot(): Promise<Snapshot> {
  const c = lstatSync(canary);
  const p = lstatSync('/etc/passwd');
  return {
    outside: readdirSync(outside).sort(),
    canary: { text: readFileSync(canary, 'utf8'), nlink: c.nlink, mode: c.mode, mtimeMs: c.mtimeMs },
    passwd: { sha: sha(readFileSync('/etc/passwd')), nlink: p.nlink, mode: p.mode },
    outsideMode: lstatSync(outside).mode,
    images: ((await d.api('GET', '/images/json?all=1')).json() as { Id: string }[]).map((i) => i.Id).sort(),
    blobs: (await readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'))).sort(),
    layers: (await readdir(join(d.dataRoot, 'layers'))).sort(),
  };
}

/** Nothing named with the token exists anywhere a climbing or absolute path could land. */
function assertNoEscape(): void {
  const places = [
    '/',
    '/tmp',
    '/etc',
    outside,
    d.root,
    d.dataRoot,
    join(d.dataRoot, 'layers'),
    join(d.dataRoot, 'content'),
  ];
  for (const p of places) {
    const hits = readdirSync(p).filter((n) => n.includes(token));
    assert.deepEqual(hits, [], `escaped into ${p}`);
  }
}

/** Host-side state outside the layer is as it was; a rejected import left nothing behind. */
async function assertUntouched(before: Snapshot, rejected: boolean): Promise<void> {
  const now = await snapshot();
  assert.deepEqual(now.outside, before.outside, 'the directory around the data root gained or lost entries');
  assert.deepEqual(now.canary, before.canary, 'the canary changed');
  assert.deepEqual(now.passwd, before.passwd, '/etc/passwd changed');
  assert.equal(now.outsideMode, before.outsideMode, 'the outside directory was chmod-ed');
  assertNoEscape();
  assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), [], 'leftover ingest files');
  assert.deepEqual(
    now.layers.filter((n) => n.startsWith('tmp-')),
    [],
    'leftover tmp- layer dirs',
  );
  if (rejected) {
    assert.deepEqual(now.images, before.images, 'a rejected import recorded an image');
    assert.deepEqual(now.blobs, before.blobs, 'a rejected import left blobs');
    assert.deepEqual(now.layers, before.layers, 'a rejected import left a layer');
  }
}

interface HostileCase {
  name: string;
  entries: () => Entry[];
  /** When the engine confines instead of rejecting: a shell check run inside the container, printing "ok". */
  confined?: string;
}

const cases = (): HostileCase[] => {
  const o = outside.slice(1); // the outside dir as a path relative to any root
  const up = '../'.repeat(24);
  return [
    { name: '../ at the top', entries: () => [file(`../${token}-dotdot`, 'x')] },
    { name: 'deep ../ to the outside dir', entries: () => [file(`${up}${o}/${token}-deep`, 'x')] },
    { name: '../ in the middle', entries: () => [dir('a/'), file(`a/../../${token}-mid`, 'x')] },
    { name: '.. as a directory entry', entries: () => [dir('../')] },
    {
      name: 'absolute path',
      entries: () => [file(`${outside}/${token}-abs`, 'abs\n')],
      confined: `[ "$(cat /${o}/${token}-abs)" = abs ] && echo ok`,
    },
    {
      name: 'absolute path that climbs (/../../x is /x)',
      entries: () => [file(`/../../${token}-absup`, 'absup\n')],
      confined: `[ "$(cat /${token}-absup)" = absup ] && echo ok`,
    },
    {
      name: 'symlink to / then a file through it',
      entries: () => [symlink('rootlink', '/'), file(`rootlink/${o}/${token}-viaroot`, 'viaroot\n')],
      confined: `[ -L /rootlink ] && [ "$(cat /${o}/${token}-viaroot)" = viaroot ] && echo ok`,
    },
    {
      name: 'symlink to .. then a file through it',
      entries: () => [symlink('up', '..'), file(`up/${token}-viaup`, 'viaup\n')],
      confined: `[ "$(cat /${token}-viaup)" = viaup ] && echo ok`,
    },
    {
      name: 'nested symlink to ../../.. then a file through it',
      entries: () => [
        dir('a/'),
        dir('a/b/'),
        symlink('a/b/up', '../../../..'),
        file(`a/b/up/${token}-deepup`, 'deepup\n'),
      ],
      confined: `[ "$(cat /${token}-deepup)" = deepup ] && echo ok`,
    },
    {
      name: 'symlinked parent directory (absolute, to the outside dir) then the canary through it',
      entries: () => [symlink('linkdir', outside), file('linkdir/canary.txt', 'pwned\n')],
      confined: `[ "$(cat /${o}/canary.txt)" = pwned ] && echo ok`,
    },
    {
      name: 'symlinked parent directory (relative, climbing) then a file through it',
      entries: () => [symlink('rel', `${up}${o}`), file(`rel/${token}-relparent`, 'rel\n')],
      confined: `[ "$(cat /${o}/${token}-relparent)" = rel ] && echo ok`,
    },
    {
      name: 'symlink to the canary, then a file of the same name (must replace, not write through)',
      entries: () => [symlink('victim', canary), file('victim', 'pwned\n')],
      confined: `[ ! -L /victim ] && [ "$(cat /victim)" = pwned ] && echo ok`,
    },
    {
      name: 'symlink to the outside dir, then a directory of the same name with mode 0777',
      entries: () => [symlink('dd', outside), dir('dd/', 0o777)],
      confined: `[ -d /dd ] && [ ! -L /dd ] && echo ok`,
    },
    {
      name: 'symlink to the outside dir, then a directory created through it',
      entries: () => [symlink('dl', outside), dir(`dl/${token}-newdir/`), file(`dl/${token}-newdir/f`, 'f\n')],
      confined: `[ "$(cat /${o}/${token}-newdir/f)" = f ] && echo ok`,
    },
    {
      name: 'chain of symlinks (absolute then climbing) then a file through it',
      entries: () => [symlink('c1', '/c2'), symlink('c2', `${up}${o}`), file(`c1/${token}-chain`, 'chain\n')],
      confined: `[ "$(cat /${o}/${token}-chain)" = chain ] && echo ok`,
    },
    {
      name: 'long PAX name that climbs out',
      entries: () => [file(`${'d'.repeat(120)}/${up}${up}${o}/${token}-pax`, 'x')],
    },
    {
      name: 'symlink loop then a file through it',
      entries: () => [symlink('l1', 'l2'), symlink('l2', 'l1'), file('l1/x', 'x')],
    },
    { name: 'a file named . (the layer root)', entries: () => [file('./', 'x')] },
    {
      name: 'hardlink to a symlink that points at /etc/passwd (links the symlink itself)',
      entries: () => [symlink('sp', '/etc/passwd'), hardlink(`${token}-hlsym`, 'sp')],
      confined: `[ -L /${token}-hlsym ] && [ "$(readlink /${token}-hlsym)" = /etc/passwd ] && echo ok`,
    },
    { name: 'hardlink to /etc/passwd', entries: () => [hardlink(`${token}-passwd`, '/etc/passwd')] },
    { name: 'hardlink to ../../etc/passwd', entries: () => [hardlink(`${token}-passwd2`, `${up}etc/passwd`)] },
    { name: 'hardlink to the canary (absolute)', entries: () => [hardlink(`${token}-canary`, canary)] },
    {
      name: 'hardlink to the canary (climbing)',
      entries: () => [hardlink(`${token}-canary2`, `${up}${o}/canary.txt`)],
    },
    {
      name: 'hardlink through a symlinked parent',
      entries: () => [symlink('hl', outside), hardlink(`${token}-hlcanary`, 'hl/canary.txt')],
    },
    { name: 'whiteout of ..', entries: () => [dir('w/'), file('w/.wh...', '')] },
    { name: 'whiteout of .', entries: () => [dir('w/'), file('w/.wh..', '')] },
    {
      name: 'whiteout through a symlinked parent',
      entries: () => [symlink('wl', outside), file('wl/.wh.canary.txt', '')],
    },
    {
      name: 'opaque marker through a symlinked parent',
      entries: () => [symlink('wo', outside), file('wo/.wh..wh..opq', '')],
    },
    { name: 'whiteout of a climbing name', entries: () => [file(`.wh.${up}${o}/canary.txt`, '')] },
  ];
};

test('hostile layer tars: nothing is written outside the layer; 400 or confined', { skip }, async (t) => {
  for (const c of cases()) {
    await t.test(c.name, async () => {
      const before = await snapshot();
      const repo = `hostile-${randomBytes(3).toString('hex')}`;
      const r = await importTar(await withBusybox(c.entries()), repo);
      if (r.status === 400) {
        assert.ok(r.message && r.message.length > 10, `a clear message: ${r.text}`);
        await assertUntouched(before, true);
        assert.equal((await d.api('GET', `/images/${repo}/json`)).status, 404);
        return;
      }
      assert.equal(r.status, 200, `expected 400 or a confined layer, got ${r.status} ${r.text}`);
      await assertUntouched(before, false);
      assert.ok(c.confined, `accepted an archive that should have been rejected: ${c.name}`);
      assert.equal(await inImage(repo, c.confined!), 'ok\n');
      await assertUntouched(before, false);
      assert.equal((await d.api('DELETE', `/images/${repo}`)).status, 200);
    });
  }
  // After all that the daemon still imports and runs normally.
  assert.equal((await runToCompletion(d, { Image: 'busybox', Cmd: ['echo', 'alive'] })).stdout, 'alive\n');
});

test('truncated, corrupt and non-tar imports: 400, no image, no leftover blobs or layers', { skip }, async (t) => {
  const bb = await busyboxRootfs();
  const gz = gzipSync(bb);
  const xz = execFileSync('xz', ['-c', '-1'], { input: bb, maxBuffer: 1 << 30 });
  // A header that promises 8 GiB and then ends.
  const huge = (await tarToBuffer([file('big', '')])).subarray(0, 512);
  const hugeHeader = Buffer.from(huge);
  hugeHeader.write('100000000000\0', 124, 'latin1');
  let sum = 0;
  hugeHeader.fill(' ', 148, 156);
  for (const b of hugeHeader) sum += b;
  hugeHeader.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const bad: [string, Buffer, RegExp][] = [
    [
      'truncated tar (mid-file)',
      bb.subarray(0, Math.floor(bb.length / 2) + 100),
      /unexpected end of archive|truncated/i,
    ],
    ['truncated tar (mid-header)', bb.subarray(0, 1024 + 300), /unexpected end of archive|truncated/i],
    ['random bytes', randomBytes(64 * 1024), /tar|archive/i],
    ['text', Buffer.from('this is not a tar file\n'.repeat(100)), /tar|archive/i],
    ['truncated gzip', gz.subarray(0, Math.floor(gz.length / 2)), /compress|gzip|end of/i],
    [
      'gzip magic then garbage',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(4096)]),
      /compress|gzip|header/i,
    ],
    ['truncated xz', xz.subarray(0, Math.floor(xz.length / 2)), /compress|xz/i],
    [
      'xz magic then garbage',
      Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(4096)]),
      /compress|xz/i,
    ],
    ['header promising 8 GiB', hugeHeader, /unexpected end of archive|truncated/i],
  ];
  for (const [name, body, re] of bad) {
    await t.test(name, async () => {
      const before = await snapshot();
      const repo = `broken-${randomBytes(3).toString('hex')}`;
      const r = await importTar(body, repo);
      assert.equal(r.status, 400, `${r.status} ${r.text}`);
      assert.match(r.message!, re);
      assert.equal((await d.api('GET', `/images/${repo}/json`)).status, 404);
      await assertUntouched(before, true);
    });
  }
});

test('rejected at the first entry of a large upload: the 400 still reaches the client', { skip }, async () => {
  const before = await snapshot();
  const tar = await tarToBuffer([
    file(`../${token}-early`, 'x'),
    { entry: { name: 'big', type: 'file', size: 32 << 20 }, body: Buffer.alloc(32 << 20, 1) },
  ]);
  const r = await importTar(tar, 'early-reject');
  assert.equal(r.status, 400, r.text);
  assert.match(r.message!, /escapes the layer root/);
  await assertUntouched(before, true);
  const gz = await importTar(gzipSync(tar), 'early-reject');
  assert.equal(gz.status, 400, gz.text);
  await assertUntouched(before, true);
});

test('a client that goes away mid-import leaves nothing behind', { skip }, async () => {
  const before = await snapshot();
  const bb = await busyboxRootfs();
  const { request: httpRequest } = await import('node:http');
  await new Promise<void>((resolve) => {
    const req = httpRequest({
      socketPath: d.socket,
      method: 'POST',
      path: '/images/create?fromSrc=-&repo=gone',
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(bb.subarray(0, Math.floor(bb.length / 2)), () =>
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200),
    );
  });
  await waitFor(
    async () =>
      (await readdir(join(d.dataRoot, 'layers'))).every((n) => !n.startsWith('tmp-')) &&
      (await readdir(join(d.dataRoot, 'content', 'ingest'))).length === 0,
    10_000,
  );
  await assertUntouched(before, true);
  assert.equal((await d.api('GET', '/images/gone/json')).status, 404);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});

test('import with a bad repo name: 400 before anything is stored', { skip }, async () => {
  const before = await snapshot();
  const r = await importTar(await busyboxRootfs(), 'Not A Name');
  assert.equal(r.status, 400);
  assert.match(r.message!, /invalid reference format/);
  await assertUntouched(before, true);
  const r2 = await d.api('POST', `/images/create?fromSrc=-&repo=ok&changes=${q('RUN true')}`, {
    raw: await busyboxRootfs(),
  });
  assert.equal(r2.status, 400);
  await assertUntouched(before, true);
  assert.equal((await d.api('POST', '/images/create')).status, 400, 'neither fromSrc nor fromImage');
});

/** A body of exactly { message } with a non-empty string: Docker's error shape. */
function assertDockerError(
  r: { status: number; json(): any; body: Buffer },
  status: number,
  message?: string | RegExp,
): void {
  assert.equal(r.status, status, r.body.toString());
  const body = r.json();
  assert.deepEqual(Object.keys(body), ['message']);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
  if (typeof message === 'string') assert.equal(body.message, message);
  else if (message) assert.match(body.message, message);
}

test('create: malformed JSON, wrong types, bad names', { skip }, async () => {
  const create = (body: unknown, name?: string) =>
    d.api('POST', `/containers/create${name !== undefined ? `?name=${q(name)}` : ''}`, {
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  for (const raw of [
    '{',
    '{"Image": "busybox",}',
    'not json',
    '{"Image": "busybox"} trailing',
    '[]',
    '"busybox"',
    'null',
    '42',
  ]) {
    assertDockerError(await create(raw), 400);
  }
  const wrong: Record<string, unknown>[] = [
    { Image: 'busybox', Cmd: 42 },
    { Image: 'busybox', Cmd: [1, 2] },
    { Image: 'busybox', Entrypoint: { a: 1 } },
    { Image: 'busybox', Cmd: ['true'], Env: 'FOO=bar' },
    { Image: 'busybox', Cmd: ['true'], Env: [1] },
    { Image: 42 },
    { Image: 'busybox', Cmd: ['true'], Hostname: 5 },
    { Image: 'busybox', Cmd: ['true'], User: [] },
    { Image: 'busybox', Cmd: ['true'], WorkingDir: 7 },
    { Image: 'busybox', Cmd: ['true'], Tty: 'yes' },
    { Image: 'busybox', Cmd: ['true'], OpenStdin: 1 },
    { Image: 'busybox', Cmd: ['true'], Labels: ['a=b'] },
    { Image: 'busybox', Cmd: ['true'], Labels: { a: 1 } },
    { Image: 'busybox', Cmd: ['true'], StopTimeout: '10' },
    { Image: 'busybox', Cmd: ['true'], StopTimeout: -5 },
    { Image: 'busybox', Cmd: ['true'], StopSignal: 'FOO' },
    { Image: 'busybox', Cmd: ['true'], ExposedPorts: ['80/tcp'] },
    { Image: 'busybox', Cmd: ['true'], Volumes: 'x' },
    { Image: 'busybox', Cmd: ['true'], HostConfig: 'x' },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: 'x' } },
    // (`relative:/x` names a volume now: Docker takes it.)
    { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['rel/ative:/x'] } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['/tmp:relative'] } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: 'yes' } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: 'always' } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'sometimes' } } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { ReadonlyRootfs: 'true' } },
    {
      Image: 'busybox',
      Cmd: ['true'],
      HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': 'lots' } } },
    },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { LogConfig: { Type: 'nope' } } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { ShmSize: -1 } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 'lots' } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { Init: 'yes' } },
    { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 42 } },
    { Image: 'busybox' },
    { Cmd: ['true'] },
  ];
  const before = (await d.api('GET', '/containers/json?all=1')).json().length;
  const accepted: string[] = [];
  for (const body of wrong) {
    const r = await create(body);
    if (r.status !== 400) accepted.push(`${JSON.stringify(body)} → ${r.status} ${r.body}`);
    else assertDockerError(r, 400);
  }
  assert.deepEqual(accepted, [], 'wrong types must be 400s');
  assertDockerError(await create({ Image: 'busybox', Cmd: 42 }), 400, /cannot unmarshal number .*Cmd/);
  assertDockerError(
    await create({ Image: 'busybox', Cmd: ['true'], Env: 'FOO=bar' }),
    400,
    /cannot unmarshal string .*Env/,
  );
  assertDockerError(await create({ Image: 'busybox', Cmd: ['true'], StopSignal: 'FOO' }), 400, 'Invalid signal: FOO');
  assertDockerError(await create({ Image: 'busybox' }), 400, 'No command specified');
  for (const name of ['a b', '-x', 'x', '.x', 'a/b', 'ü', 'a:b', '/']) {
    assertDockerError(
      await create({ Image: 'busybox', Cmd: ['true'] }, name),
      400,
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  assert.equal((await d.api('GET', '/containers/json?all=1')).json().length, before, 'no container was created');
  // Unknown fields are ignored, as Docker does.
  const ok = await create({ Image: 'busybox', Cmd: ['true'], NoSuchField: { x: 1 } }, '/slash-ok');
  assert.equal(ok.status, 201, ok.body.toString());
  assert.equal((await d.api('GET', '/containers/slash-ok/json')).json().Name, '/slash-ok');
  await d.api('DELETE', '/containers/slash-ok');
});

test('signals, timeouts, wait conditions, unknown objects, remove running', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'victim-run');
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  assertDockerError(await d.api('POST', `/containers/${id}/kill?signal=FOO`), 400, 'Invalid signal: FOO');
  assertDockerError(await d.api('POST', `/containers/${id}/kill?signal=0`), 400, 'Invalid signal: 0');
  assertDockerError(await d.api('POST', `/containers/${id}/kill?signal=SIGNOPE`), 400, 'Invalid signal: SIGNOPE');
  assertDockerError(await d.api('POST', `/containers/${id}/stop?signal=FOO`), 400, 'Invalid signal: FOO');
  assertDockerError(await d.api('POST', `/containers/${id}/restart?signal=FOO`), 400, 'Invalid signal: FOO');
  for (const t of ['abc', '1.5', '1e3', '-5', '--1']) {
    assertDockerError(await d.api('POST', `/containers/${id}/stop?t=${q(t)}`), 400);
    assertDockerError(await d.api('POST', `/containers/${id}/restart?t=${q(t)}`), 400);
  }
  assertDockerError(await d.api('POST', `/containers/${id}/wait?condition=x`), 400, /invalid condition/);
  assert.equal(
    (await d.api('GET', `/containers/${id}/json`)).json().State.Running,
    true,
    'still running after all that',
  );

  assertDockerError(
    await d.api('DELETE', `/containers/${id}`),
    409,
    /You cannot remove a running container|container is running: stop the container before removing or force remove/,
  );
  assertDockerError(await d.api('GET', '/containers/x/logs?stdout=1&tail=abc'), 404, 'No such container: x');
  assertDockerError(await d.api('GET', `/containers/${id}/logs`), 400);

  for (const [m, p] of [
    ['GET', '/containers/x/json'],
    ['POST', '/containers/x/start'],
    ['POST', '/containers/x/stop'],
    ['POST', '/containers/x/restart'],
    ['POST', '/containers/x/kill'],
    ['POST', '/containers/x/wait'],
    ['DELETE', '/containers/x'],
    ['GET', '/containers/x/logs?stdout=1'],
    ['POST', '/containers/x/rename?name=yy'],
    ['POST', '/containers/x/attach?stream=1&stdout=1'],
  ] as const) {
    assertDockerError(await d.api(m, p), 404, 'No such container: x');
  }
  assertDockerError(
    await d.api('POST', '/containers/create', { body: { Image: 'x', Cmd: ['true'] } }),
    404,
    'No such image: x:latest',
  );
  assertDockerError(await d.api('GET', '/images/x/json'), 404, 'No such image: x:latest');
  assertDockerError(await d.api('DELETE', '/images/x'), 404, 'No such image: x:latest');
  assertDockerError(await d.api('POST', `/containers/${id}/rename?name=${q('a b')}`), 400, /Invalid container name/);

  assert.equal((await d.api('POST', `/containers/${id}/kill?signal=KILL`)).status, 204);
  await d.api('POST', `/containers/${id}/wait`);
  // Valid edge values are accepted: t=-1 on a stopped container is just "not modified".
  assert.equal((await d.api('POST', `/containers/${id}/stop?t=-1`)).status, 304);
  assert.equal((await d.api('DELETE', `/containers/${id}`)).status, 204);
});

test('API versions, unknown routes and methods', { skip }, async () => {
  assertDockerError(
    await d.api('GET', '/v1.12/_ping'),
    400,
    /client version 1.12 is too old. Minimum supported API version is 1.24/,
  );
  assertDockerError(await d.api('GET', '/v1.99/version'), 400, /client version 1.99 is too new/);
  assert.equal((await d.api('GET', '/v1.24/_ping')).status, 200);
  assert.equal((await d.api('GET', '/v1.47/_ping')).status, 200);
  assertDockerError(await d.api('GET', '/nope'), 404, 'page not found');
  assertDockerError(await d.api('GET', '/v1.47/containers/x/nope'), 404, 'page not found');
  assertDockerError(await d.api('GET', '/vfoo/_ping'), 404);
  const m = await d.api('PUT', '/containers/json');
  assert.equal(m.status, 405);
  const bin = await d.api('GET', `/containers/${encodeURIComponent('\u0000')}/json`);
  assert.ok(bin.status === 400 || bin.status === 404, String(bin.status));
  const pct = await d.api('GET', '/containers/%E0%A4%A/json');
  assert.ok(pct.status === 400 || pct.status === 404, `bad percent-encoding → ${pct.status} ${pct.body}`);
  assert.equal((await d.api('GET', '/_ping')).status, 200, 'daemon survives');
});

test('a 5 MB JSON body is refused and the daemon survives', { skip }, async () => {
  const big = JSON.stringify({
    Image: 'busybox',
    Cmd: ['true'],
    Env: Array.from({ length: 60_000 }, (_, i) => `K${i}=${'v'.repeat(90)}`),
  });
  assert.ok(big.length > 5_000_000);
  let status = 0;
  try {
    const r = await d.api('POST', '/containers/create', { body: big });
    status = r.status;
    assertDockerError(r, r.status);
  } catch (err) {
    // The daemon may close the connection before reading the rest of the body.
    assert.match(String(err), /EPIPE|ECONNRESET|socket hang up/);
  }
  if (status) assert.ok(status === 400 || status === 413, `status ${status}`);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
  assert.equal(
    (await d.api('GET', '/containers/json?all=1'))
      .json()
      .filter((c: any) => c.Command === 'true' && c.Image === 'busybox' && c.Names.length === 0).length,
    0,
  );
  // Malformed filters.
  assertDockerError(await d.api('GET', '/containers/json?filters=%7B'), 400);
  assertDockerError(await d.api('GET', `/containers/json?filters=${q({ status: ['bogus'] })}`), 400);
  assert.equal((await runToCompletion(d, { Image: 'busybox', Cmd: ['echo', 'still here'] })).stdout, 'still here\n');
});

test('a corrupted record on disk: quarantined, reported in /info, the rest keeps working', { skip }, async () => {
  const d2 = await startDaemon();
  try {
    await importBusybox(d2);
    const imp = async (content: string, repo: string) => {
      const r = await d2.api('POST', `/images/create?fromSrc=-&repo=${repo}`, {
        raw: await tarToBuffer([file('f.txt', content)]),
      });
      assert.equal(r.status, 200);
      return JSON.parse(r.body.toString().trim().split('\n').pop()!).status as string;
    };
    const badImg = await imp('bad\n', 'img-bad');
    const goodImg = await imp('good\n', 'img-good');
    const badBlobImg = await imp('bad blob\n', 'img-bad-blob');
    const badLayerImg = await imp('bad layer\n', 'img-bad-layer');
    const badLayerDir = join(
      (await d2.api('GET', '/images/img-bad-layer/json')).json().GraphDriver.Data.UpperDir,
      '..',
    );
    const mk = async (body: Record<string, unknown>, name: string) => {
      const r = await d2.api('POST', `/containers/create?name=${name}`, { body });
      assert.equal(r.status, 201, r.body.toString());
      return r.json().Id as string;
    };
    const truncated = await mk({ Image: 'busybox', Cmd: ['true'] }, 'truncated');
    const empty = await mk({ Image: 'busybox', Cmd: ['true'] }, 'empty');
    const wrongShape = await mk({ Image: 'busybox', Cmd: ['true'] }, 'wrong-shape');
    const badState = await mk({ Image: 'busybox', Cmd: ['true'] }, 'bad-state');
    const running = await mk({ Image: 'busybox', Cmd: ['sh', '-c', 'echo up; exec sleep 300'] }, 'running');
    const stopped = await mk({ Image: 'busybox', Cmd: ['echo', 'stopped-ok'] }, 'stopped');
    assert.equal((await d2.api('POST', `/containers/${running}/start`)).status, 204);
    assert.equal((await d2.api('POST', `/containers/${stopped}/start`)).status, 204);
    assert.equal((await d2.api('POST', `/containers/${stopped}/wait`)).json().StatusCode, 0);
    assert.equal((await d2.api('POST', `/containers/${truncated}/start`)).status, 204);
    await d2.api('POST', `/containers/${truncated}/wait`);

    await d2.stop();
    const cdir = (id: string) => join(d2.dataRoot, 'containers', id);
    const cfg = join(cdir(truncated), 'config.json');
    await truncate(cfg, Math.floor((await readFile(cfg)).length / 2));
    await truncate(join(cdir(empty), 'config.json'), 0);
    await writeFile(join(cdir(wrongShape), 'config.json'), JSON.stringify({ id: 5, name: ['x'] }));
    await writeFile(join(cdir(badState), 'state.json'), '{"State": {"Status": "runn');
    const imgRecord = join(d2.dataRoot, 'images', 'db', badImg.slice(7), 'image.json');
    assert.ok(existsSync(imgRecord), imgRecord);
    await writeFile(imgRecord, randomBytes(200));
    await writeFile(join(d2.dataRoot, 'content', 'blobs', 'sha256', badBlobImg.slice(7)), '{"architecture": "amd');
    await writeFile(join(badLayerDir, 'layer.json'), '');

    await d2.start();
    const info = (await d2.api('GET', '/info')).json();
    const warnings = (info.Warnings ?? []).join('\n');
    for (const id of [truncated, empty, wrongShape])
      assert.ok(warnings.includes(id), `warning for container ${id}: ${warnings}`);
    assert.ok(warnings.includes(badImg.slice(7)), `warning for image ${badImg}: ${warnings}`);
    assert.ok(warnings.includes(badBlobImg.slice(7)), `warning for image ${badBlobImg}: ${warnings}`);
    assert.ok(warnings.includes(badLayerDir.split('/').pop()!), `warning for layer ${badLayerDir}: ${warnings}`);
    // Moved aside, not deleted: an operator can look at them.
    const quarantines = [join(d2.dataRoot, 'quarantine'), join(d2.dataRoot, 'images', 'quarantine')];
    const moved = (await Promise.all(quarantines.map((p) => readdir(p).catch(() => [] as string[])))).flat();
    for (const id of [truncated, empty, wrongShape, badImg.slice(7)])
      assert.ok(
        moved.some((n) => n.includes(id)),
        `${id} quarantined: ${moved}`,
      );

    const all = (await d2.api('GET', '/containers/json?all=1')).json() as any[];
    const ids = all.map((c) => c.Id);
    for (const id of [truncated, empty, wrongShape]) {
      assert.ok(!ids.includes(id), 'the damaged container is not listed');
      assert.equal((await d2.api('GET', `/containers/${id}/json`)).status, 404);
    }
    for (const id of [running, stopped, badState])
      assert.ok(
        ids.includes(id),
        `${id} listed: ${JSON.stringify(all.map((c) => [c.Id, c.Names, c.State]))}\n${warnings}`,
      );
    // The quarantined container's name is free again.
    const reuse = await d2.api('POST', '/containers/create?name=truncated', {
      body: { Image: 'busybox', Cmd: ['true'] },
    });
    assert.equal(reuse.status, 201, reuse.body.toString());

    // Healthy containers keep working.
    const r = (await d2.api('GET', `/containers/${running}/json`)).json();
    assert.equal(r.State.Running, true);
    assert.match(demux((await d2.api('GET', `/containers/${running}/logs?stdout=1`)).body).stdout, /up/);
    assert.equal((await d2.api('POST', `/containers/${running}/stop?t=1`)).status, 204);
    assert.equal((await d2.api('POST', `/containers/${stopped}/start`)).status, 204);
    await waitFor(
      async () =>
        demux((await d2.api('GET', `/containers/${stopped}/logs?stdout=1`)).body).stdout === 'stopped-ok\nstopped-ok\n',
    );
    // The one with an unreadable state is known and removable.
    assert.equal((await d2.api('DELETE', `/containers/${badState}?force=1`)).status, 204);

    // Images: the damaged one is gone (and its tag), the others work.
    assert.equal((await d2.api('GET', '/images/img-bad/json')).status, 404);
    assert.equal((await d2.api('GET', `/images/${badImg}/json`)).status, 404);
    assert.equal((await d2.api('GET', '/images/img-good/json')).json().Id, goodImg);
    const imgs = ((await d2.api('GET', '/images/json')).json() as any[]).map((i) => i.Id);
    assert.ok(imgs.includes(goodImg) && !imgs.includes(badImg));
    const run = await runToCompletion(d2, { Image: 'busybox', Cmd: ['echo', 'after-restart'] });
    assert.equal(run.stdout, 'after-restart\n');
    // The tag can be reused by a new import.
    const again = await imp('bad\n', 'img-bad');
    assert.equal((await d2.api('GET', '/images/img-bad/json')).json().Id, again);
    // An image whose config blob is damaged is not served.
    assert.equal((await d2.api('GET', `/images/${badBlobImg}/json`)).status, 404);
    // An image whose layer was quarantined is quarantined too (it could not run).
    assert.equal((await d2.api('GET', '/images/img-bad-layer/json')).status, 404);
    assert.ok(warnings.includes(badLayerImg.slice(7)), `warning for image ${badLayerImg}: ${warnings}`);
    assertDockerError(
      await d2.api('POST', '/containers/create', { body: { Image: 'img-bad-layer', Cmd: ['true'] } }),
      404,
      'No such image: img-bad-layer:latest',
    );
    assert.equal((await d2.api('GET', '/_ping')).status, 200);

    // A damaged tag index (this time after a crash): reported and moved aside; images stay reachable by ID.
    await d2.stop('SIGKILL');
    const refs = join(d2.dataRoot, 'images', 'repositories.json');
    await writeFile(refs, '{"refs": {"docker.io/library/busybox:lat');
    await d2.start();
    const w2 = ((await d2.api('GET', '/info')).json().Warnings ?? []).join('\n');
    assert.match(w2, /repositories\.json/);
    assert.equal((await d2.api('GET', `/images/${goodImg}/json`)).json().Id, goodImg);
    assert.equal((await d2.api('POST', `/images/${goodImg}/tag?repo=img-good`)).status, 201);
    assert.equal((await d2.api('GET', '/images/img-good/json')).json().Id, goodImg);
  } finally {
    await d2.cleanup();
  }
});

test("working directories: relative or under a process's fds (CVE-2024-21626) are 400; a build stops at the RUN", {
  skip,
}, async () => {
  for (const wd of ['rel/dir', '/proc/self/fd/7', '/proc/1/fd', '//proc/thread-self/fd/3', '/proc/self/task/1/fd/5']) {
    const r = await d.api('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], WorkingDir: wd } });
    assert.equal(r.status, 400, wd);
    assert.match(r.json().message, /working directory/, wd);
  }
  assert.equal(
    (
      await d.api('POST', '/containers/create', {
        body: { Image: 'busybox', Cmd: ['true'], WorkingDir: '/proc/self/fdx' },
      })
    ).status,
    201,
  );
  const b = await d.api('POST', '/build?t=wdbad', {
    raw: Buffer.from('FROM busybox\nWORKDIR /proc/self/fd/7\nRUN pwd\n'),
  });
  assert.match(b.body.toString(), /working directory '\/proc\/self\/fd\/7' is not allowed/);
  assert.equal((await d.api('GET', '/images/wdbad/json')).status, 404);
});
