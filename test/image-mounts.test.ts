// Image mounts (`docker run --mount type=image,…`, API 1.48; the CRI's image volumes use
// the same engine path): another image's files, read-only, at a path in the container —
// checked from inside (content, a write refused, the mount's ro flag), with a subpath,
// refused subpaths (missing, through a symlink, climbing out), nothing left mounted on the
// host while the container runs, inspect's Mounts, restart, cp from a stopped container,
// and the mounted image held against removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasDockerCli, isRoot, mountsUnder, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

async function docker(...args: string[]): Promise<string> {
  const r = await runCli('docker', d, args, undefined, 120_000);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}
async function dockerFails(...args: string[]): Promise<string> {
  const r = await runCli('docker', d, args, undefined, 120_000);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail: ${r.stdout}`);
  return r.stderr;
}
const mount = (extra = '') => `type=image,source=imgvol-src,target=/mnt/img${extra}`;

test('an image mount: read-only content of another image, its subpath, refusals, no host mount left, in-use image', {
  skip,
}, async () => {
  // The mounted image: files, a symlink to /etc and one climbing out, made by commit.
  await docker(
    'run',
    '--name',
    'mk',
    'busybox',
    'sh',
    '-c',
    'mkdir -p /data/sub && echo hi > /data/f && echo deep > /data/sub/g && ln -s /etc /data/link && ln -s ../.. /data/up',
  );
  await docker('commit', 'mk', 'imgvol-src');
  await docker('rm', 'mk');
  const imageId = await docker('image', 'inspect', '-f', '{{.Id}}', 'imgvol-src');

  // Content, a write refused, the mount flagged ro inside the container.
  const out = await docker(
    'run',
    '--rm',
    '--mount',
    mount(),
    'busybox',
    'sh',
    '-c',
    'cat /mnt/img/data/f; touch /mnt/img/x 2>&1; grep " /mnt/img " /proc/self/mountinfo',
  );
  assert.match(out, /^hi$/m);
  assert.match(out, /Read-only file system/);
  assert.match(out, / \/mnt\/img ro[, ]/);

  // A subpath: its content at the target, nothing of the rest.
  assert.equal(
    await docker(
      'run',
      '--rm',
      '--mount',
      mount(',image-subpath=data'),
      'busybox',
      'sh',
      '-c',
      'cat /mnt/img/f /mnt/img/sub/g; ls /mnt/img/data 2>&1 | head -1',
    ),
    'hi\ndeep\nls: /mnt/img/data: No such file or directory',
  );
  // Refused at create, so nothing is made: a path not in the image, one through a
  // symlink (to the container's /etc or above the image), and one climbing out.
  assert.match(
    await dockerFails('create', '--mount', mount(',image-subpath=data/nope'), 'busybox', 'true'),
    /data\/nope/,
  );
  assert.match(
    await dockerFails('create', '--mount', mount(',image-subpath=data/link/hostname'), 'busybox', 'true'),
    /data\/link/,
  );
  assert.match(await dockerFails('create', '--mount', mount(',image-subpath=data/up'), 'busybox', 'true'), /data\/up/);
  assert.match(await dockerFails('create', '--mount', mount(',image-subpath=../x'), 'busybox', 'true'), /subpath/);
  assert.match(
    await dockerFails('create', '--mount', 'type=image,source=no-such-image,target=/x', 'busybox', 'true'),
    /no-such-image/,
  );
  assert.equal(await docker('ps', '-aq'), '');
  // ImageOptions belongs to image mounts only.
  const bad = await d.api('POST', '/containers/create', {
    body: {
      Image: 'busybox',
      Cmd: ['true'],
      HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x', ImageOptions: { Subpath: 'a' } }] },
    },
  });
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /ImageOptions must not be specified/);

  // A running container: the mount is its own, nothing of it stays mounted on the host.
  await docker('run', '-d', '--name', 'user', '--mount', mount(), 'busybox', 'sleep', '300');
  assert.deepEqual(mountsUnder(`${d.execRoot}/views`), []);
  assert.deepEqual(mountsUnder(`${d.execRoot}/volume-subpaths`), []);
  const [mp] = JSON.parse(await docker('inspect', '-f', '{{json .Mounts}}', 'user'));
  assert.equal(mp.Type, 'image');
  assert.equal(mp.Source, imageId);
  assert.equal(mp.Destination, '/mnt/img');
  assert.equal(mp.RW, false);
  assert.equal(await docker('exec', 'user', 'cat', '/mnt/img/data/f'), 'hi');

  // The mounted image is in use: not removable while the container exists.
  assert.match(await dockerFails('rmi', 'imgvol-src'), /container .* is using its referenced image/);
  assert.match(await dockerFails('rmi', '-f', imageId), /being used by running container/);
  assert.match(await docker('image', 'ls', '--format', '{{.Repository}} {{.Containers}}', 'imgvol-src'), /imgvol-src/);

  // A restart mounts it again; a stopped container's image mount is readable by cp.
  await docker('restart', '-t', '0', 'user');
  assert.equal(await docker('exec', 'user', 'cat', '/mnt/img/data/sub/g'), 'deep');
  await docker('stop', '-t', '0', 'user');
  const tar = await runCli('docker', d, ['cp', 'user:/mnt/img/data/f', '-']);
  assert.equal(tar.code, 0, tar.stderr);
  assert.match(tar.stdout, /hi\n/);
  assert.deepEqual(mountsUnder(`${d.execRoot}/views`), []);

  await docker('rm', 'user');
  await docker('rmi', 'imgvol-src');
});
