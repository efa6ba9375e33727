// Security options through the docker CLI, checked from inside the container: the default
// seccomp profile (a static probe tries the syscalls it decides about), unconfined and custom
// profiles, daemon.json seccomp-profile, --privileged (all capabilities and devices, nothing
// masked, writable /sys and cgroups: mount and ip link add work), cap-add/cap-drop ALL,
// no-new-privileges, apparmor/label/systempaths, group-add and users.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusybox, isRoot, repoRoot, runCli, startDaemon, useDaemon, type TestDaemon } from './helpers/daemon.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;
useDaemon((x) => (d = x));
let dir: string;
let probe: string;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'berth-sec-'));
  probe = join(dir, 'probe');
  execFileSync('gcc', ['-static', '-O2', '-o', probe, join(repoRoot, 'test', 'fixtures', 'syscall-probe.c')]);
});

async function docker(args: string[], on = d): Promise<string> {
  const r = await runCli('docker', on, args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function probeIn(flags: string[], on = d): Promise<Record<string, string>> {
  const out = await docker(['run', '--rm', ...flags, '-v', `${probe}:/probe:ro`, 'busybox', '/probe'], on);
  return Object.fromEntries(out.split('\n').map((l) => l.split(' ') as [string, string]));
}

/** What a default Docker container gets on this kernel (Docker 28's default profile). */
const DOCKER_DEFAULT = {
  keyctl: 'EPERM',
  add_key: 'EPERM',
  request_key: 'EPERM',
  unshare_user: 'EPERM',
  unshare_net: 'EPERM',
  ptrace_traceme: 'ok',
  personality_query: 'ok',
  socket_vsock: 'EPERM',
  io_uring_setup: 'EPERM',
  userfaultfd: 'EPERM',
  clone3: 'ENOSYS',
  pivot_root: 'EPERM',
};

test('the default seccomp profile: syscalls behave as in a Docker container', { skip }, async () => {
  assert.deepEqual(await probeIn([]), DOCKER_DEFAULT);
  const status = await docker(['run', '--rm', 'busybox', 'grep', 'Seccomp:', '/proc/self/status']);
  assert.match(status, /Seccomp:\s+2/);
  // busybox's own unshare, as a user would try it.
  const r = await runCli('docker', d, ['run', '--rm', 'busybox', 'unshare', '-U', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Operation not permitted/);
  // CAP_SYS_ADMIN opens the namespace calls, as its conditional rules say.
  const admin = await probeIn(['--cap-add', 'SYS_ADMIN']);
  assert.equal(admin.unshare_user, 'ok');
  assert.equal(admin.unshare_net, 'ok');
  assert.equal(admin.clone3, 'EINVAL');
  assert.equal(admin.keyctl, 'EPERM');
  // unconfined: the kernel answers.
  const open = await probeIn(['--security-opt', 'seccomp=unconfined']);
  assert.equal(open.keyctl, 'ok');
  assert.equal(open.unshare_user, 'ok');
  assert.match(
    await docker([
      'run',
      '--rm',
      '--security-opt',
      'seccomp=unconfined',
      'busybox',
      'grep',
      'Seccomp:',
      '/proc/self/status',
    ]),
    /Seccomp:\s+0/,
  );
  const info = JSON.parse(await docker(['info', '--format', '{{json .SecurityOptions}}']));
  assert.ok(info.includes('name=seccomp,profile=builtin'), info.join(','));
});

test('seccomp=<file>: a custom profile (Docker’s format) is applied; junk is a 400', { skip }, async () => {
  const profile = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'seccomp', 'default.json'), 'utf8'));
  // Deny mkdir/mkdirat with EACCES on top of the default.
  profile.syscalls.unshift({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
  for (const g of profile.syscalls)
    if (g.action === 'SCMP_ACT_ALLOW') g.names = g.names.filter((n: string) => n !== 'mkdir' && n !== 'mkdirat');
  const file = join(dir, 'no-mkdir.json');
  await writeFile(file, JSON.stringify(profile, null, 2));
  const r = await runCli('docker', d, ['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'mkdir', '/x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Permission denied/);
  const id = await docker(['create', '--security-opt', `seccomp=${file}`, 'busybox', 'true']);
  const opts = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig.SecurityOpt}}', id]));
  assert.match(opts[0], /^seccomp=\{"comment"/, 'the profile itself, as the docker CLI sends it');
  await docker(['rm', id]);
  const bad = await d.api('POST', '/containers/create', {
    body: { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['seccomp={not json'] } },
  });
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /^Decoding seccomp profile failed/);
  const bogus = await d.api('POST', '/containers/create', {
    body: { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['bogus'] } },
  });
  assert.equal(bogus.status, 400);
  assert.equal(bogus.json().message, 'invalid --security-opt 1: "bogus"');
});

test('daemon.json seccomp-profile: unconfined and a file', { skip }, async () => {
  const profile = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'seccomp', 'default.json'), 'utf8'));
  profile.syscalls.unshift({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
  for (const g of profile.syscalls)
    if (g.action === 'SCMP_ACT_ALLOW') g.names = g.names.filter((n: string) => n !== 'mkdir' && n !== 'mkdirat');
  const file = join(dir, 'daemon-profile.json');
  await writeFile(file, JSON.stringify(profile));
  for (const [setting, check] of [
    ['unconfined', (p: Record<string, string>) => assert.equal(p.keyctl, 'ok')],
    [file, (p: Record<string, string>) => assert.equal(p.keyctl, 'EPERM')],
  ] as const) {
    const other = await startDaemon({ config: { 'seccomp-profile': setting, 'no-new-privileges': true } });
    try {
      await importBusybox(other);
      check(await probeIn([], other));
      const nnp = await docker(['run', '--rm', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status'], other);
      assert.match(nnp, /NoNewPrivs:\s+1/, 'daemon-wide no-new-privileges');
      if (setting === file) {
        const r = await runCli('docker', other, ['run', '--rm', 'busybox', 'mkdir', '/x']);
        assert.match(r.stderr, /Permission denied/);
      }
      const info = JSON.parse(await docker(['info', '--format', '{{json .SecurityOptions}}'], other));
      assert.ok(info.includes(`name=seccomp,profile=${setting}`), info.join(','));
    } finally {
      await other.cleanup();
    }
  }
});

const capEff = (status: string) => BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(status)![1]}`);
const hostBounding = () => BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);

test('--privileged: every capability and device, nothing masked, writable /sys and cgroups, no seccomp; mount and ip link add work', {
  skip,
}, async () => {
  const out = await docker([
    'run',
    '--rm',
    '--privileged',
    'busybox',
    'sh',
    '-c',
    [
      'cat /proc/self/status',
      'echo ---',
      'ls /dev',
      'echo ---',
      'grep -E " /sys | /sys/fs/cgroup/[a-z]+ " /proc/self/mountinfo | head -3',
      'echo ---',
      'mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted',
      'ip link add bv0 type veth peer name bv1 && ip -o link | grep -q bv0@ && echo linked',
      'echo timer_list=$(wc -c < /proc/timer_list)',
    ].join('; '),
  ]);
  const [status, devs, mounts, rest] = out.split('---\n');
  assert.equal(capEff(status), hostBounding(), 'all the capabilities berthd itself has');
  assert.match(status, /Seccomp:\s+0/);
  const block = readFileSync('/proc/partitions', 'utf8')
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[3])
    .filter(Boolean);
  assert.ok(
    block.some((b) => devs.split('\n').includes(b)),
    `host block devices in /dev: ${devs}`,
  );
  for (const line of mounts.trim().split('\n')) assert.match(line, / rw,/, line);
  assert.match(rest, /mounted/);
  assert.match(rest, /linked/);
  assert.doesNotMatch(rest, /timer_list=0$/m, '/proc/timer_list is not masked');
  // Not privileged: masked, read-only, no extra devices.
  const plain = await docker([
    'run',
    '--rm',
    'busybox',
    'sh',
    '-c',
    'ls /dev | wc -l; grep " /sys " /proc/self/mountinfo',
  ]);
  assert.ok(Number(plain.split('\n')[0]) < 20);
  assert.match(plain, / ro,/);
});

test('cap-add/cap-drop (ALL, with and without CAP_), no-new-privileges, apparmor, label, systempaths', {
  skip,
}, async () => {
  const caps = async (flags: string[]) =>
    capEff(await docker(['run', '--rm', ...flags, 'busybox', 'cat', '/proc/self/status']));
  assert.equal(await caps(['--cap-drop', 'ALL']), 0n);
  assert.equal(await caps(['--cap-drop', 'ALL', '--cap-add', 'CAP_NET_ADMIN']), 1n << 12n);
  assert.equal(await caps(['--cap-drop', 'all', '--cap-add', 'chown']), 1n);
  assert.equal(await caps(['--cap-add', 'ALL']), hostBounding());
  assert.equal(await caps(['--cap-add', 'ALL', '--cap-drop', 'NET_RAW']), hostBounding() & ~(1n << 13n));
  const dflt = await caps([]);
  assert.equal(dflt, 0xa80425fbn, "Docker's 14 default capabilities");
  assert.equal(await caps(['--cap-drop', 'CHOWN']), dflt & ~1n);
  assert.match(
    await docker([
      'run',
      '--rm',
      '--security-opt',
      'no-new-privileges',
      'busybox',
      'grep',
      'NoNewPrivs',
      '/proc/self/status',
    ]),
    /NoNewPrivs:\s+1/,
  );
  assert.match(await docker(['run', '--rm', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']), /NoNewPrivs:\s+0/);
  // AppArmor is applied only where the kernel has it enabled; the option is accepted and shown.
  const aa = await docker([
    'create',
    '--security-opt',
    'apparmor=unconfined',
    '--security-opt',
    'label=disable',
    'busybox',
    'true',
  ]);
  assert.equal(await docker(['inspect', '--format', '{{.AppArmorProfile}}', aa]), 'unconfined');
  await docker(['start', '-a', aa]);
  await docker(['rm', aa]);
  // systempaths=unconfined: nothing masked or read-only under /proc.
  const sys = await docker([
    'run',
    '--rm',
    '--security-opt',
    'systempaths=unconfined',
    'busybox',
    'sh',
    '-c',
    'wc -c < /proc/timer_list; grep -c " /proc/sys " /proc/self/mountinfo || true',
  ]);
  const [timers, roSys] = sys.split('\n');
  assert.ok(Number(timers) > 0, 'timer_list readable');
  assert.equal(roSys, '0', '/proc/sys not remounted read-only');
  assert.equal(
    await docker(['run', '--rm', 'busybox', 'sh', '-c', 'wc -c < /proc/timer_list']),
    '0',
    'masked by default',
  );
});

test('users and groups: --user name and uid:gid, --group-add', { skip }, async () => {
  assert.equal(await docker(['run', '--rm', '--user', 'nobody', 'busybox', 'id', '-u']), '65534');
  const id = await docker([
    'run',
    '--rm',
    '--user',
    '1000:1000',
    '--group-add',
    '4242',
    '--group-add',
    'daemon',
    'busybox',
    'id',
  ]);
  assert.match(id, /uid=1000 gid=1000/);
  assert.match(id, /4242/);
  assert.match(id, /groups=.*\b1\b|daemon/);
  const caps = await docker(['run', '--rm', '--user', '1000', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  assert.match(caps, /CapEff:\s+0+$/, 'a non-root user has no effective capabilities');
});
