// Containers using volumes, binds and tmpfs — through the docker CLI and the berth CLI,
// checked from inside the containers (mountinfo, df, writes that fail) and on the host:
// named and anonymous volumes, image VOLUMEs with copy-up (owner, mode), --volumes-from,
// --mount options (nocopy, subpath, tmpfs size/mode, bind propagation/recursion/read-only,
// CreateMountpoint), --tmpfs, inspect's Mounts, rm -v / --rm, ps --filter volume=, cp into
// volumes of running and stopped containers, commit and export leaving volumes out,
// volumes in use, and the CVE-2022-23648 shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasDockerCli, isRoot, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

async function run(bin: 'docker' | 'berth', args: string[], code = 0, input?: string) {
  const r = await runCli(bin, d, args, input, 120_000);
  assert.equal(r.code, code, `${bin} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r;
}
const docker = (...args: string[]) => run('docker', args).then((r) => r.stdout.trim());
const berth = (...args: string[]) => run('berth', args).then((r) => r.stdout.trim());
const fails = (bin: 'docker' | 'berth', ...args: string[]) =>
  runCli(bin, d, args).then((r) => {
    assert.notEqual(r.code, 0, `${bin} ${args.join(' ')} should fail: ${r.stdout}`);
    return r.stderr;
  });
const api = (method: string, path: string, body?: unknown) => d.api(method, path, body === undefined ? {} : { body });
const volumeNames = async () =>
  ((await api('GET', '/volumes')).json().Volumes as { Name: string }[]).map((v) => v.Name);
const mountsOf = async (ctr: string) => JSON.parse(await docker('inspect', '-f', '{{json .Mounts}}', ctr));

function tmpDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

test('the issue scenario: named data outlives its container, anonymous volumes, volumes-from, nocopy, tmpfs, rm -v, prune', {
  skip,
}, async () => {
  for (const [bin, p] of [
    ['berth', 'b'],
    ['docker', 'd'],
  ] as const) {
    const cli = bin === 'berth' ? berth : docker;
    await cli('volume', 'create', `pgdata-${p}`);
    await cli(
      'run',
      '-d',
      '--name',
      `db-${p}`,
      '-v',
      `pgdata-${p}:/var/lib/data`,
      'busybox',
      'sh',
      '-c',
      'echo 1 >> /var/lib/data/n; sleep 1d',
    );
    await cli('exec', `db-${p}`, 'sh', '-c', 'test -s /var/lib/data/n');
    await cli('rm', '-f', `db-${p}`);
    assert.equal(
      await cli('run', '--rm', '-v', `pgdata-${p}:/d`, 'busybox', 'cat', '/d/n'),
      '1',
      'data outlived the container',
    );

    await cli('run', '-d', '--name', `anon-${p}`, '-v', '/scratch', 'busybox', 'sleep', '1d');
    const [anon] = (await mountsOf(`anon-${p}`)) as { Name: string }[];
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.equal(
      await cli('run', '--rm', '--volumes-from', `anon-${p}:ro`, 'busybox', 'ls', '-d', '/scratch'),
      '/scratch',
    );
    const ro = await runCli(bin, d, [
      'run',
      '--rm',
      '--volumes-from',
      `anon-${p}:ro`,
      'busybox',
      'touch',
      '/scratch/x',
    ]);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr + ro.stdout, /Read-only file system/);
    await cli('run', '--rm', '--volumes-from', `anon-${p}`, 'busybox', 'touch', '/scratch/x');
    assert.equal(await cli('exec', `anon-${p}`, 'ls', '/scratch'), 'x', 'volumes-from shares the same volume');

    assert.equal(
      await cli(
        'run',
        '--rm',
        '--mount',
        `type=volume,src=cfg-${p},dst=/etc/app,volume-nocopy`,
        'busybox',
        'ls',
        '-A',
        '/etc/app',
      ),
      '',
    );
    const df = await cli(
      'run',
      '--rm',
      '--mount',
      'type=tmpfs,dst=/cache,tmpfs-size=1m',
      'busybox',
      'df',
      '-k',
      '/cache',
    );
    assert.match(df, /tmpfs\s+1024\s+0\s+1024\s+0% \/cache/);
    const m = await cli('run', '--rm', '--tmpfs', '/run:rw,size=64k', 'busybox', 'sh', '-c', 'mount | grep " /run "');
    assert.match(m, /^tmpfs on \/run type tmpfs \(rw,nosuid,nodev,noexec,relatime,size=64k\)$/);

    assert.ok((await volumeNames()).includes(anon.Name));
    await cli('rm', '-fv', `anon-${p}`);
    const left = await volumeNames();
    assert.ok(!left.includes(anon.Name), 'rm -v removed the anonymous volume');
    assert.ok(left.includes(`pgdata-${p}`) && left.includes(`cfg-${p}`), 'and never a named one');
    // --rm removes its anonymous volume too.
    await cli('run', '--rm', '-v', '/tmpvol', 'busybox', 'true');
    assert.deepEqual(
      (await volumeNames()).filter((n) => /^[0-9a-f]{64}$/.test(n)),
      [],
    );
  }
  const pruned = await berth('volume', 'prune', '-f', '-a');
  assert.match(pruned, /pgdata-b/);
  assert.match(pruned, /cfg-d/);
});

test("inspect's Mounts in Docker's exact shape; ps --filter volume=", { skip }, async () => {
  const host = tmpDir('berth-bind-');
  try {
    await docker('volume', 'create', 'shape-vol');
    const id = await docker(
      'run',
      '-d',
      '--name',
      'shape',
      '-v',
      'shape-vol:/named:ro',
      '-v',
      `${host}:/bound`,
      '-v',
      '/anon',
      '--mount',
      'type=tmpfs,dst=/tmp/t,tmpfs-size=65536',
      '--mount',
      `type=bind,src=${host},dst=/bound2,readonly,bind-propagation=rprivate`,
      'busybox',
      'sleep',
      '1d',
    );
    const ms = (await mountsOf('shape')) as Record<string, unknown>[];
    const by = (dest: string) => ms.find((m) => m.Destination === dest)!;
    assert.deepEqual(by('/named'), {
      Type: 'volume',
      Name: 'shape-vol',
      Source: join(d.dataRoot, 'volumes', 'shape-vol', '_data'),
      Destination: '/named',
      Driver: 'local',
      Mode: 'ro',
      RW: false,
      Propagation: '',
    });
    assert.deepEqual(by('/bound'), {
      Type: 'bind',
      Source: host,
      Destination: '/bound',
      Mode: '',
      RW: true,
      Propagation: 'rprivate',
    });
    assert.deepEqual(by('/bound2'), {
      Type: 'bind',
      Source: host,
      Destination: '/bound2',
      Mode: '',
      RW: false,
      Propagation: 'rprivate',
    });
    const anon = by('/anon');
    assert.equal(anon.Type, 'volume');
    assert.equal(anon.Mode, '');
    assert.equal(anon.Driver, 'local');
    assert.equal(anon.Source, join(d.dataRoot, 'volumes', anon.Name as string, '_data'));
    assert.deepEqual(by('/tmp/t'), {
      Type: 'tmpfs',
      Source: '',
      Destination: '/tmp/t',
      Mode: '',
      RW: true,
      Propagation: '',
    });
    assert.equal(ms.length, 5);
    const hc = JSON.parse(await docker('inspect', '-f', '{{json .HostConfig}}', 'shape'));
    assert.equal(hc.Mounts.length, 2);
    assert.ok(hc.Binds.includes('shape-vol:/named:ro') && hc.Binds.includes(`${host}:/bound`));
    const mode = JSON.parse(await docker('inspect', '-f', '{{json (index .Mounts 0)}}', 'shape'));
    assert.ok(mode);
    // The named volume from -v gets Docker's "z" mode when no mode was given.
    const zc = await docker('create', '-v', 'shape-vol:/z', 'busybox', 'true');
    assert.equal((await mountsOf(zc))[0].Mode, 'z');
    await docker('rm', zc);

    for (const f of ['shape-vol', '/named', '/anon', anon.Name as string, host]) {
      assert.equal(await docker('ps', '-q', '--no-trunc', '--filter', `volume=${f}`), id, f);
      assert.equal(await berth('ps', '-q', '--no-trunc', '--filter', `volume=${f}`), id, f);
    }
    assert.equal(await docker('ps', '-q', '--filter', 'volume=nothing-like-it'), '');
    const inUse = await api('DELETE', '/volumes/shape-vol');
    assert.equal(inUse.status, 409);
    assert.equal(inUse.json().message, `remove shape-vol: volume is in use - [${id}]`);
    assert.equal(
      (await api('DELETE', '/volumes/shape-vol?force=1')).status,
      409,
      'force does not take a volume in use',
    );
    assert.doesNotMatch(await docker('volume', 'prune', '-f', '-a'), /shape-vol/);
    assert.equal(await docker('volume', 'ls', '-q', '-f', 'dangling=false', '-f', 'name=shape-vol'), 'shape-vol');
    await docker('rm', '-f', 'shape');
    assert.equal((await api('DELETE', '/volumes/shape-vol')).status, 204);
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
});

test('image VOLUMEs: copy-up keeps owner, mode and content; nocopy and non-empty volumes are not copied into; RUN writes under a VOLUME are not kept', {
  skip,
}, async () => {
  const ctx = tmpDir('berth-volctx-');
  try {
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM busybox',
        'RUN mkdir -p /data/sub && echo seed > /data/sub/s && ln -s /etc/shadow /data/link && chown -R 1234:5678 /data && chmod 750 /data',
        'VOLUME /data',
        'RUN echo later > /data/later',
        'CMD ["sh"]',
      ].join('\n'),
    );
    await berth('build', '-q', '-t', 'withvol', ctx);
    const cfg = JSON.parse(await docker('image', 'inspect', '-f', '{{json .Config.Volumes}}', 'withvol'));
    assert.deepEqual(cfg, { '/data': {} });
    const out = await docker(
      'run',
      '--rm',
      'withvol',
      'sh',
      '-c',
      'cat /data/sub/s; stat -c %u:%g:%a /data; readlink /data/link; ls /data',
    );
    assert.deepEqual(
      out.split('\n'),
      ['seed', '1234:5678:750', '/etc/shadow', 'link', 'sub'],
      'the RUN after VOLUME left nothing',
    );
    // A named volume gets the image's content on first use, then keeps its own.
    await docker('run', '--rm', '-v', 'seeded:/data', 'withvol', 'sh', '-c', 'echo mine > /data/sub/s');
    assert.equal(await docker('run', '--rm', '-v', 'seeded:/data', 'withvol', 'cat', '/data/sub/s'), 'mine');
    const vol = join(d.dataRoot, 'volumes', 'seeded', '_data');
    assert.equal(statSync(vol).uid, 1234);
    assert.equal(statSync(vol).mode & 0o777, 0o750);
    assert.equal(await docker('run', '--rm', '-v', 'plain:/data:nocopy', 'withvol', 'ls', '-A', '/data'), '');
    assert.equal(
      await docker(
        'run',
        '--rm',
        '--mount',
        'type=volume,src=plain2,dst=/data,volume-nocopy',
        'withvol',
        'ls',
        '-A',
        '/data',
      ),
      '',
    );
    // An image VOLUME where the image has a file is refused, as Docker.
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo x > /afile\nVOLUME /afile\n');
    await berth('build', '-q', '-t', 'volfile', ctx);
    assert.match(
      await fails('docker', 'create', 'volfile', 'true'),
      /cannot mount volume over existing file, file exists \/afile/,
    );
    for (const v of ['seeded', 'plain', 'plain2']) await docker('volume', 'rm', v);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

test('CVE-2022-23648: an image VOLUME path climbing out is the container path, copy-up reads only the image', {
  skip,
}, async () => {
  const c = await docker('create', 'busybox', 'true');
  const r = await api(
    'POST',
    `/commit?container=${c}&repo=climb&changes=${encodeURIComponent('VOLUME ["/../../../../../../etc"]')}`,
  );
  assert.equal(r.status, 201, r.body.toString());
  await docker('rm', c);
  const id = await docker('create', 'climb', 'true');
  const [m] = await mountsOf(id);
  assert.equal(m.Destination, '/etc');
  const data = join(d.dataRoot, 'volumes', m.Name, '_data');
  assert.ok(existsSync(join(data, 'passwd')), "the image's /etc");
  assert.ok(!existsSync(join(data, 'os-release')) || !existsSync('/etc/os-release'), 'never the host /etc');
  assert.match(readFileSync(join(data, 'passwd'), 'utf8'), /^root:x:0:0:/);
  await docker('rm', '-v', id);
});

test('bind mounts: propagation applied for real, non-recursive, read-only (recursively), CreateMountpoint, -v creates the source', {
  skip,
}, async () => {
  const root = tmpDir('berth-prop-');
  try {
    // A shared mount of our own (the host's / is private here), with a submount below.
    execFileSync('mount', ['-t', 'tmpfs', 'berth-prop', root]);
    execFileSync('mount', ['--make-shared', root]);
    mkdirSync(join(root, 'src', 'sub'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'berth-sub', join(root, 'src', 'sub')]);
    writeFileSync(join(root, 'src', 'sub', 'inner'), 'x');
    const src = join(root, 'src');
    const line = async (opt: string, dest: string) =>
      docker(
        'run',
        '--rm',
        '--mount',
        `type=bind,src=${src},dst=${dest}${opt}`,
        'busybox',
        'sh',
        '-c',
        `grep " ${dest} " /proc/self/mountinfo`,
      );
    assert.match(await line(',bind-propagation=rshared', '/b'), /shared:\d+/);
    assert.match(await line(',bind-propagation=rslave', '/b'), /master:\d+/);
    assert.doesNotMatch(await line(',bind-propagation=rprivate', '/b'), /shared:|master:/);
    // Host → container: a mount made on the host after start reaches an rslave bind only.
    await docker(
      'run',
      '-d',
      '--name',
      'slave',
      '--mount',
      `type=bind,src=${src},dst=/b,bind-propagation=rslave`,
      'busybox',
      'sleep',
      '1d',
    );
    await docker(
      'run',
      '-d',
      '--name',
      'private',
      '--mount',
      `type=bind,src=${src},dst=/b,bind-propagation=rprivate`,
      'busybox',
      'sleep',
      '1d',
    );
    mkdirSync(join(src, 'late'));
    execFileSync('mount', ['-t', 'tmpfs', 'berth-late', join(src, 'late')]);
    writeFileSync(join(src, 'late', 'news'), 'y');
    assert.equal(await docker('exec', 'slave', 'cat', '/b/late/news'), 'y');
    assert.notEqual((await runCli('docker', d, ['exec', 'private', 'cat', '/b/late/news'])).code, 0);
    execFileSync('umount', [join(src, 'late')]);
    await docker('rm', '-f', 'slave', 'private');
    // A shared bind needs a shared source: the host's private /tmp is refused as Docker does.
    const priv = tmpDir('berth-priv-');
    assert.match(
      await fails(
        'docker',
        'run',
        '--rm',
        '--mount',
        `type=bind,src=${priv},dst=/p,bind-propagation=shared`,
        'busybox',
        'true',
      ),
      /is mounted on .* but it is not a shared mount/,
    );
    rmSync(priv, { recursive: true, force: true });

    // Recursive by default, not with bind-recursive=disabled.
    assert.equal(await docker('run', '--rm', '-v', `${src}:/b`, 'busybox', 'cat', '/b/sub/inner'), 'x');
    assert.equal(
      await docker(
        'run',
        '--rm',
        '--mount',
        `type=bind,src=${src},dst=/b,bind-recursive=disabled`,
        'busybox',
        'ls',
        '-A',
        '/b/sub',
      ),
      '',
    );
    // Read-only, and recursively so (the submount too) unless bind-recursive=writable.
    const ro = await runCli('docker', d, [
      'run',
      '--rm',
      '-v',
      `${src}:/b:ro`,
      'busybox',
      'sh',
      '-c',
      'touch /b/f; touch /b/sub/f',
    ]);
    assert.match(
      ro.stderr + ro.stdout,
      /touch: \/b\/f: Read-only file system\s+touch: \/b\/sub\/f: Read-only file system/,
    );
    await docker(
      'run',
      '--rm',
      '--mount',
      `type=bind,src=${src},dst=/b,readonly,bind-recursive=writable`,
      'busybox',
      'touch',
      '/b/sub/f',
    );

    // Missing sources: --mount refuses unless bind-create-src; -v creates it (Docker's).
    const missing = join(root, 'not', 'yet');
    assert.match(
      await fails('docker', 'run', '--rm', '--mount', `type=bind,src=${missing},dst=/m`, 'busybox', 'true'),
      /invalid mount config for type "bind": bind source path does not exist: /,
    );
    // (docker CLI 28.2 has no bind-create-src yet: berth's CLI sends CreateMountpoint.)
    await berth('run', '--rm', '--mount', `type=bind,src=${missing},dst=/m,bind-create-src`, 'busybox', 'true');
    assert.ok(statSync(missing).isDirectory());
    await docker('run', '--rm', '-v', `${join(root, 'made', 'by', 'v')}:/m`, 'busybox', 'true');
    assert.ok(statSync(join(root, 'made', 'by', 'v')).isDirectory());
  } finally {
    execFileSync('umount', ['-R', '-l', root]);
    rmSync(root, { recursive: true, force: true });
  }
});

test('tmpfs options: mode and size applied; option injection refused (catalogue row 70)', { skip }, async () => {
  const st = await docker(
    'run',
    '--rm',
    '--mount',
    'type=tmpfs,dst=/t,tmpfs-mode=1770,tmpfs-size=2m',
    'busybox',
    'sh',
    '-c',
    'stat -c %a /t; df -k /t | tail -1',
  );
  assert.match(st, /^1770\ntmpfs\s+2048\s/);
  const ex = await runCli('docker', d, [
    'run',
    '--rm',
    '--tmpfs',
    '/x',
    'busybox',
    'sh',
    '-c',
    'cp /bin/busybox /x/b && /x/b true',
  ]);
  assert.notEqual(ex.code, 0, 'noexec by default');
  await docker('run', '--rm', '--tmpfs', '/x:exec', 'busybox', 'sh', '-c', 'cp /bin/busybox /x/true && /x/true');
  assert.match(
    await fails('docker', 'run', '--rm', '--tmpfs', '/x:size=1m,exec,dev,uid=0,mode=4777', 'busybox', 'true'),
    /invalid tmpfs option "dev"/,
  );
  assert.match(
    await fails('docker', 'run', '--rm', '--tmpfs', '/x:bind', 'busybox', 'true'),
    /invalid tmpfs option "bind"/,
  );
  assert.match(
    await fails('docker', 'run', '--rm', '--tmpfs', 'rel:size=1m', 'busybox', 'true'),
    /mount path must be absolute/,
  );
  assert.match(
    await fails('docker', 'run', '--rm', '--tmpfs', '/dup', '-v', '/tmp:/dup', 'busybox', 'true'),
    /Duplicate mount point: \/dup/,
  );
});

test('subpaths: a directory of a volume, never one that leaves it', { skip }, async () => {
  await docker(
    'run',
    '--rm',
    '-v',
    'subvol:/v',
    'busybox',
    'sh',
    '-c',
    'mkdir -p /v/a/b && echo in > /v/a/b/f && ln -s / /v/escape',
  );
  assert.equal(
    await docker(
      'run',
      '--rm',
      '--mount',
      'type=volume,src=subvol,dst=/s,volume-subpath=a',
      'busybox',
      'cat',
      '/s/b/f',
    ),
    'in',
  );
  assert.match(
    await fails(
      'docker',
      'run',
      '--rm',
      '--mount',
      'type=volume,src=subvol,dst=/s,volume-subpath=../../..',
      'busybox',
      'true',
    ),
    /subpath must be a relative path within the volume/,
  );
  assert.match(
    await fails(
      'docker',
      'run',
      '--rm',
      '--mount',
      'type=volume,src=subvol,dst=/s,volume-subpath=escape/etc',
      'busybox',
      'ls',
      '/s',
    ),
    /cannot access path/,
  );
  assert.deepEqual(execFileSync('ls', [join(d.execRoot, 'volume-subpaths')]).toString(), '', 'no pin left behind');
  await docker('volume', 'rm', 'subvol');
});

test('docker cp reaches into volumes and binds of running and stopped containers; commit and export leave volumes out', {
  skip,
}, async () => {
  const host = tmpDir('berth-cpbind-');
  const file = join(tmpDir('berth-cpsrc-'), 'hello.txt');
  writeFileSync(file, 'hello volume');
  try {
    await docker('create', '--name', 'cpstop', '-v', 'cpvol:/vol', '-v', `${host}:/bind`, 'busybox', 'sleep', '1d');
    await docker('cp', file, 'cpstop:/vol/');
    await docker('cp', file, 'cpstop:/bind/');
    assert.equal(readFileSync(join(d.dataRoot, 'volumes', 'cpvol', '_data', 'hello.txt'), 'utf8'), 'hello volume');
    assert.equal(readFileSync(join(host, 'hello.txt'), 'utf8'), 'hello volume');
    assert.deepEqual(
      JSON.parse(await docker('diff', 'cpstop').then((s) => JSON.stringify(s.split('\n').filter(Boolean)))),
      [],
    );
    await docker('start', 'cpstop');
    assert.equal(await docker('exec', 'cpstop', 'cat', '/vol/hello.txt'), 'hello volume');
    await docker('exec', 'cpstop', 'sh', '-c', 'echo from-inside > /vol/inside; echo layer > /layerfile');
    const out = tmpDir('berth-cpout-');
    await docker('cp', 'cpstop:/vol/inside', out);
    assert.equal(readFileSync(join(out, 'inside'), 'utf8'), 'from-inside\n');
    const file2 = join(out, 'second');
    writeFileSync(file2, '2');
    await docker('cp', file2, 'cpstop:/vol/');
    assert.equal(await docker('exec', 'cpstop', 'cat', '/vol/second'), '2');
    // commit: the layer file, never the volume's content.
    await docker('commit', 'cpstop', 'cpimage');
    assert.equal(
      await docker('run', '--rm', 'cpimage', 'sh', '-c', 'cat /layerfile; ls -A /vol 2>/dev/null; true'),
      'layer',
    );
    const tar = execFileSync('docker', ['export', 'cpstop'], {
      env: { ...process.env, DOCKER_HOST: d.host },
      maxBuffer: 64 << 20,
    });
    const names = execFileSync('tar', ['-t'], { input: tar }).toString();
    assert.match(names, /^layerfile$/m);
    assert.doesNotMatch(names, /vol\/inside|hello\.txt/);
    await docker('stop', '-t', '0', 'cpstop');
    // Stopped again: reads come from the volume too.
    await docker('cp', 'cpstop:/vol/second', join(out, 'again'));
    assert.equal(readFileSync(join(out, 'again'), 'utf8'), '2');
    await docker('rm', 'cpstop');
    await docker('volume', 'rm', 'cpvol');
    rmSync(out, { recursive: true, force: true });
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
});

test("a volume's _data replaced by a symlink to / is never followed by start, cp or remove", { skip }, async () => {
  await docker('volume', 'create', 'evil');
  await docker('create', '--name', 'evilc', '-v', 'evil:/v', 'busybox', 'ls', '/v');
  const data = join(d.dataRoot, 'volumes', 'evil', '_data');
  rmSync(data, { recursive: true });
  symlinkSync('/', data);
  const file = join(tmpDir('berth-evil-'), 'planted');
  writeFileSync(file, 'x');
  assert.match(await fails('docker', 'cp', file, 'evilc:/v/'), /not a directory|refusing|no such directory/);
  assert.ok(!existsSync('/planted'), 'nothing written to the host root');
  assert.match(await fails('docker', 'start', 'evilc'), /refusing to use it|not a directory/);
  await docker('rm', 'evilc');
  await docker('volume', 'rm', 'evil');
  assert.ok(existsSync('/etc/hostname'), 'the host is intact');
  assert.ok(!existsSync(join(d.dataRoot, 'volumes', 'evil')));
});

test('volumes-from and VolumeDriver errors in Docker words', { skip }, async () => {
  assert.match(
    await fails('docker', 'run', '--rm', '--volumes-from', 'nosuchctr', 'busybox', 'true'),
    /No such container: nosuchctr/,
  );
  await docker('create', '--name', 'vfsrc', '-v', '/x', 'busybox', 'true');
  assert.match(
    await fails('docker', 'run', '--rm', '--volumes-from', 'vfsrc:rshared', 'busybox', 'true'),
    /invalid mode: rshared/,
  );
  // (Through the API: the docker CLI takes any 404 from create for a missing image and pulls.)
  const nd = await api('POST', '/containers/create', {
    Image: 'busybox',
    Cmd: ['true'],
    HostConfig: { VolumeDriver: 'nosuchdriver', Binds: ['nv:/x'] },
  });
  assert.equal(nd.status, 404);
  assert.equal(
    nd.json().message,
    'create nv: error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found',
  );
  assert.ok(!(await volumeNames()).includes('nv'), 'a refused create leaves no volume');
  const before = (await volumeNames()).length;
  assert.match(
    await fails('docker', 'run', '--rm', '-v', '/a', '-v', 'bad/name:/b', 'busybox', 'true'),
    /includes invalid characters/,
  );
  assert.equal((await volumeNames()).length, before, 'the anonymous volume made first is gone again');
  await docker('rm', '-v', 'vfsrc');
});
