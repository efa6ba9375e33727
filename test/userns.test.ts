// userns-remap through the docker CLI, checked from inside the container and on the host:
// `default` creates dockremap with dockerd's subordinate ranges; containers run in a user
// namespace whose root is an unprivileged host uid; image layers are shared unchanged
// through idmapped mounts (no per-container copy); --userns=host opts out; dockerd's
// conflicts are refused; a berthd restart re-adopts a remapped container. The host's
// account files are restored byte for byte afterwards (other engineers share the host).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { flock, LOCK_EX, LOCK_NB } from '../src/sys/libc.ts';
import { chmod, chown, mkdir, mkdtemp, rename, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusybox, isRoot, runCli, startDaemon, type TestDaemon } from './helpers/daemon.ts';

const skip = isRoot ? false : 'needs root (user namespaces, idmapped mounts, runc)';
// useradd and usermod rewrite these (and their `-` backups): all are put back as they were.
const ACCOUNT_FILES = ['passwd', 'group', 'shadow', 'gshadow', 'subuid', 'subgid'].flatMap((f) => [
  `/etc/${f}`,
  `/etc/${f}-`,
]);
const saved = new Map<string, { content: Buffer; mode: number; uid: number; gid: number } | undefined>();
let d: TestDaemon | undefined;
let dir: string;
let base = 0;

// Two test runs on this host (a landing and an engineer's full suite) must not both make and
// restore dockremap: the file is locked for the whole run (released if the process dies).
const LOCK = '/run/lock/berth-userns-test.lock';
let lockFd: number | undefined;

async function lockAccounts(): Promise<void> {
  const fd = openSync(LOCK, 'w');
  for (let i = 0; ; i++) {
    try {
      flock(fd, LOCK_EX | LOCK_NB);
      lockFd = fd;
      return;
    } catch (err) {
      if (i > 3000) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Puts each file back as it was, replaced whole by a rename (a reader never sees it half written). */
async function restoreAccounts(): Promise<void> {
  for (const [f, was] of saved) {
    if (was === undefined) await rm(f, { force: true });
    else if (!existsSync(f) || !readFileSync(f).equals(was.content)) {
      const tmp = `${f}.berth-test-tmp`;
      await writeFile(tmp, was.content, { mode: was.mode });
      await chown(tmp, was.uid, was.gid);
      await chmod(tmp, was.mode);
      await rename(tmp, f);
    }
  }
}

before(
  async () => {
    if (skip) return;
    await lockAccounts();
    for (const f of ACCOUNT_FILES) {
      const st = existsSync(f) ? statSync(f) : undefined;
      saved.set(f, st && { content: readFileSync(f), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
    assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), /^dockremap:/m, 'dockremap already exists on this host');
    dir = await mkdtemp(join(tmpdir(), 'berth-userns-'));
    try {
      // A remapped root reaches its rootfs in the exec root as an unprivileged uid: the test
      // root (mkdtemp makes it 0700) must be searchable, as /run is.
      const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
      await chmod(root, 0o711);
      d = await startDaemon({ root, config: { 'userns-remap': 'default' } });
      await importBusybox(d);
    } catch (err) {
      await restoreAccounts();
      if (lockFd !== undefined) closeSync(lockFd);
      lockFd = undefined;
      throw err;
    }
  },
  // Another run may hold the lock for its whole file.
  { timeout: 700_000 },
);

after(async () => {
  try {
    if (d) await d.cleanup();
  } finally {
    await restoreAccounts();
    if (lockFd !== undefined) closeSync(lockFd);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

async function docker(args: string[]): Promise<string> {
  const r = await runCli('docker', d!, args);
  if (r.code !== 0)
    console.log(
      d!
        .logs()
        .split('\n')
        .filter((l) => /error|warn|fail/i.test(l))
        .slice(-15)
        .join('\n'),
    );
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const mapOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).join(' '));

test('default creates dockremap with a 65536-id range in /etc/subuid and /etc/subgid, as dockerd', {
  skip,
}, async () => {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  assert.match(passwd, /^dockremap:x:\d+:\d+:/m);
  assert.match(readFileSync('/etc/group', 'utf8'), /^dockremap:x:\d+:/m);
  const sub = /^dockremap:(\d+):65536$/m.exec(readFileSync('/etc/subuid', 'utf8'));
  assert.ok(sub, readFileSync('/etc/subuid', 'utf8'));
  base = Number(sub[1]);
  assert.match(readFileSync('/etc/subgid', 'utf8'), new RegExp(`^dockremap:${base}:65536$`, 'm'));
  const info = JSON.parse(await docker(['info', '--format', '{{json .SecurityOptions}}'])) as string[];
  assert.ok(info.includes('name=userns'), info.join(' '));
});

test('root in the container is the first subordinate id on the host; /proc/self/uid_map shows the range', {
  skip,
}, async () => {
  assert.ok(base > 0);
  const out = await docker([
    'run',
    '--rm',
    'busybox',
    'sh',
    '-c',
    'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u',
  ]);
  const [uid, gid, id] = out.split('--');
  assert.deepEqual(mapOf(uid), [`0 ${base} 65536`]);
  assert.deepEqual(mapOf(gid), [`0 ${base} 65536`]);
  assert.equal(id.trim(), '0');
  // A file root makes in a bind mount belongs to the mapped uid on the host. The bind is
  // as it is on the host: root inside may write only where the host lets that uid write.
  const bind = join(dir, 'bind');
  await mkdir(bind, { mode: 0o1777 });
  await chmod(bind, 0o1777);
  await chmod(dir, 0o755);
  const denied = await runCli('docker', d!, ['run', '--rm', '-v', `${dir}:/b`, 'busybox', 'touch', '/b/f']);
  assert.match(denied.stderr, /Permission denied/);
  await docker(['run', '--rm', '-v', `${dir}:/b`, 'busybox', 'sh', '-c', 'touch /b/bind/f']);
  const s = statSync(join(bind, 'f'));
  assert.deepEqual([s.uid, s.gid], [base, base]);
});

test('image layers are shared unchanged through idmapped mounts, not copied per container', { skip }, async () => {
  const layerRoot = join(d!.dataRoot, 'layers');
  const layers = (await readdir(layerRoot)).filter((n) => /^[0-9a-f]{64}$/.test(n));
  assert.equal(layers.length, 1);
  const onHost = join(layerRoot, layers[0], 'diff', 'bin', 'busybox');
  const before = await stat(onHost);
  assert.deepEqual([before.uid, before.gid], [0, 0]);
  const a = await docker(['run', '-d', 'busybox', 'sleep', '300']);
  const b = await docker(['run', '-d', 'busybox', 'sleep', '300']);
  for (const id of [a, b]) {
    // Inside: the layer's root-owned file is root's (an unmapped owner would read 65534),
    // and it is the very inode in the layer directory on the host.
    const seen = await docker(['exec', id, 'stat', '-c', '%u:%g %i', '/bin/busybox']);
    assert.equal(seen, `0:0 ${before.ino}`);
    // The container's processes run as the unprivileged mapped uid on the host.
    const pid = await docker(['inspect', '-f', '{{.State.Pid}}', id]);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${base}\\s+${base}\\s+${base}\\s+${base}$`, 'm'));
    // The rootfs is an overlay whose lower layer is a (detached, idmapped) clone.
    const root = (await readFile(`/proc/${pid}/mountinfo`, 'utf8')).split('\n').find((l) => / \/ \/ /.test(l));
    assert.match(root ?? '', / - overlay .*lowerdir\+=/, root);
    // Writing is copy-up into the container's own upper dir, owned by the mapped root.
    await docker(['exec', id, 'sh', '-c', 'echo x >> /bin/newfile && chown 5:6 /bin/newfile']);
    const upper = join(d!.dataRoot, 'containers', id, 'upper');
    const nf = await stat(join(upper, 'bin', 'newfile'));
    assert.deepEqual([nf.uid, nf.gid], [base + 5, base + 6]);
    assert.ok(!existsSync(join(upper, 'bin', 'busybox')), 'no copy of the layer in the upper dir');
  }
  const after = await stat(onHost);
  assert.deepEqual(
    [after.uid, after.gid, after.ino, after.mtimeMs, after.ctimeMs],
    [0, 0, before.ino, before.mtimeMs, before.ctimeMs],
  );
  await docker(['rm', '-f', a, b]);
});

test("named volumes belong to the remapped root; copy-up gives the image's files the container's ids", {
  skip,
}, async () => {
  const out = await docker([
    'run',
    '--rm',
    '-v',
    'uvol:/data',
    'busybox',
    'sh',
    '-c',
    'touch /data/x && stat -c %u:%g /data /data/x',
  ]);
  assert.deepEqual(out.split('\n'), ['0:0', '0:0']);
  const data = join(d!.dataRoot, 'volumes', 'uvol', '_data');
  for (const p of [data, join(data, 'x')]) {
    const s = await stat(p);
    assert.deepEqual([s.uid, s.gid], [base, base], p);
  }
  // Copy-up: the image's /etc (root's) lands in the volume as the container's root.
  const etc = await docker(['run', '--rm', '-v', 'uetc:/etc', 'busybox', 'stat', '-c', '%u:%g', '/etc/passwd']);
  assert.equal(etc, '0:0');
  const copied = await stat(join(d!.dataRoot, 'volumes', 'uetc', '_data', 'passwd'));
  assert.deepEqual([copied.uid, copied.gid], [base, base]);
  await docker(['volume', 'rm', 'uvol', 'uetc']);
});

test("commit, cp and export record the container's own ids, not the host's", { skip }, async () => {
  const id = await docker(['run', '-d', 'busybox', 'sh', '-c', 'echo hi > /made && chown 5:6 /made && sleep 300']);
  // The command chowns before it sleeps: wait for that.
  for (let i = 0; i < 100; i++) {
    const r = await runCli('docker', d!, ['exec', id, 'stat', '-c', '%u', '/made']);
    if (r.code === 0 && r.stdout.trim() === '5') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // cp out: the tar names the container's ids.
  const r = await runCli('docker', d!, ['cp', `${id}:/made`, '-']);
  assert.equal(r.code, 0, r.stderr);
  const hdr = Buffer.from(r.stdout, 'latin1');
  assert.equal(parseInt(hdr.subarray(108, 116).toString().trim(), 8), 5);
  assert.equal(parseInt(hdr.subarray(116, 124).toString().trim(), 8), 6);
  // cp in: the archive's owner (the CLI sends the local file's, root) is the container's root.
  await writeFile(join(dir, 'in.txt'), 'in\n');
  await docker(['cp', join(dir, 'in.txt'), `${id}:/in.txt`]);
  assert.equal(await docker(['exec', id, 'stat', '-c', '%u:%g', '/in.txt']), '0:0');
  const inUpper = await stat(join(d!.dataRoot, 'containers', id, 'upper', 'in.txt'));
  assert.deepEqual([inUpper.uid, inUpper.gid], [base, base]);
  // commit: the layer holds 5:6, so the image reads the same in any mode.
  await docker(['commit', id, 'userns-commit']);
  assert.equal(await docker(['run', '--rm', '--userns=host', 'userns-commit', 'stat', '-c', '%u:%g', '/made']), '5:6');
  assert.equal(await docker(['run', '--rm', 'userns-commit', 'stat', '-c', '%u:%g', '/made']), '5:6');
  await docker(['rm', '-f', id]);
  await docker(['rmi', 'userns-commit']);
});

test("joining another remapped container's PID or network namespace joins its user namespace", { skip }, async () => {
  const donor = await docker(['run', '-d', 'busybox', 'sleep', '300']);
  const both = await docker([
    'run',
    '-d',
    '--pid',
    `container:${donor}`,
    '--net',
    `container:${donor}`,
    'busybox',
    'sleep',
    '301',
  ]);
  // A PID joiner on a network of its own: that network namespace belongs to the donor's user namespace.
  const pidOnly = await docker(['run', '-d', '--pid', `container:${donor}`, 'busybox', 'sleep', '302']);
  const userns = async (id: string) => docker(['exec', id, 'readlink', '/proc/self/ns/user']);
  const own = await userns(donor);
  assert.equal(await userns(both), own);
  assert.equal(await userns(pidOnly), own);
  assert.match(await docker(['exec', both, 'ps']), /sleep 300/);
  assert.match(await docker(['exec', pidOnly, 'ip', 'addr', 'show', 'eth0']), /inet \d+\.\d+\.\d+\.\d+/);
  await docker(['rm', '-f', both, pidOnly, donor]);
});

test("a build under userns-remap: RUN and COPY layers hold the image's own ids", { skip }, async () => {
  const ctx = join(dir, 'ctx');
  await mkdir(ctx);
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN touch /r && chown 7:8 /r\nCOPY f /f\n');
  await writeFile(join(ctx, 'f'), 'f\n');
  const b = await runCli('berth', d!, ['build', '-t', 'userns-build', ctx], undefined, 120_000);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  for (const mode of [[], ['--userns=host']])
    assert.equal(await docker(['run', '--rm', ...mode, 'userns-build', 'stat', '-c', '%u:%g', '/r', '/f']), '7:8\n0:0');
  await docker(['rmi', 'userns-build']);
});

test('--userns=host runs in the host user namespace', { skip }, async () => {
  const out = await docker([
    'run',
    '--rm',
    '--userns=host',
    '-v',
    `${dir}:/b`,
    'busybox',
    'sh',
    '-c',
    'cat /proc/self/uid_map; touch /b/hostfile',
  ]);
  assert.deepEqual(mapOf(out), ['0 0 4294967295']);
  assert.equal(statSync(join(dir, 'hostfile')).uid, 0);
  // dockerd's conflicts hold only without it.
  await docker(['run', '--rm', '--userns=host', '--privileged', 'busybox', 'true']);
});

test('--ipc=host and --uts=host work in a user namespace (the host mqueue is bound in)', { skip }, async () => {
  const out = await docker([
    'run',
    '--rm',
    '--ipc=host',
    '--uts=host',
    'busybox',
    'sh',
    '-c',
    'readlink /proc/self/ns/ipc; hostname; cat /proc/self/uid_map; grep -c " /dev/mqueue mqueue" /proc/self/mounts',
  ]);
  const [ipc, host, map, mq] = out.split('\n');
  assert.equal(ipc, readlinkSync('/proc/self/ns/ipc'));
  assert.equal(host, hostname());
  assert.deepEqual(mapOf(map), [`0 ${base} 65536`]);
  assert.equal(mq, '1');
});

test("dockerd's refusals under userns-remap, and an unknown UsernsMode is a 400 naming it", { skip }, async () => {
  const before = await docker(['ps', '-aq']);
  for (const [flags, msg] of [
    [['--privileged'], /privileged mode is incompatible with user namespaces/],
    [['--net=host'], /cannot share the host's network namespace when user namespaces are enabled/],
    [['--pid=host'], /cannot share the host PID namespace when user namespaces are enabled/],
  ] as const) {
    const r = await runCli('docker', d!, ['create', ...flags, 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, msg);
  }
  const r = await d!.api('POST', '/containers/create', {
    body: { Image: 'busybox', HostConfig: { UsernsMode: 'private' } },
  });
  assert.equal(r.status, 400);
  assert.match(r.body.toString(), /invalid UsernsMode \\"private\\"/);
  assert.equal(await docker(['ps', '-aq']), before, 'nothing was created');
});

test('a berthd restart re-adopts a running remapped container', { skip, timeout: 90_000 }, async () => {
  const id = await docker(['run', '-d', 'busybox', 'sleep', '300']);
  await d!.stop('SIGKILL');
  await d!.start();
  assert.equal(await docker(['inspect', '-f', '{{.State.Status}}', id]), 'running');
  const out = await docker(['exec', id, 'cat', '/proc/self/uid_map']);
  assert.deepEqual(mapOf(out), [`0 ${base} 65536`]);
  await docker(['rm', '-f', id]);
});

test('a container starts only under the remapping it was created with', { skip, timeout: 120_000 }, async () => {
  const id = await docker(['create', 'busybox', 'true']);
  const cfgFile = join(d!.root, 'daemon.json');
  const cfg = await readFile(cfgFile, 'utf8');
  const without = JSON.parse(cfg) as Record<string, unknown>;
  delete without['userns-remap'];
  await d!.stop();
  await writeFile(cfgFile, JSON.stringify(without));
  try {
    await d!.start();
    assert.deepEqual(mapOf(await docker(['run', '--rm', 'busybox', 'cat', '/proc/self/uid_map'])), ['0 0 4294967295']);
    const r = await runCli('docker', d!, ['start', id]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /was created with user namespace remapping \(root \d+:\d+\) and berthd now runs with no user namespace remapping/,
    );
  } finally {
    await d!.stop();
    await writeFile(cfgFile, cfg);
    await d!.start();
  }
  await docker(['start', id]);
  await docker(['rm', '-f', id]);
});
