import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CAPABILITIES } from '../oci/capabilities.ts';
import { DEFAULT_PATH_ENV, INIT_DESTINATION, buildEnv, buildSpec, capabilities, hostRlimits } from './spec.ts';

test('Docker defaults', () => {
  const s = buildSpec({ id: 'abc', args: ['sh'], hostname: 'abc123' });
  const p = s.process!;
  assert.deepEqual(p.args, ['sh']);
  assert.equal(p.cwd, '/');
  assert.deepEqual(p.user, { uid: 0, gid: 0 });
  assert.deepEqual(p.env, [DEFAULT_PATH_ENV, 'HOSTNAME=abc123']);
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
  assert.deepEqual(p.capabilities, {
    bounding: [...DEFAULT_CAPABILITIES],
    effective: [...DEFAULT_CAPABILITIES],
    permitted: [...DEFAULT_CAPABILITIES],
  });
  assert.deepEqual(p.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }]);
  assert.equal(p.noNewPrivileges, false);
  assert.deepEqual(s.root, { path: 'rootfs', readonly: false });
  assert.equal(s.hostname, 'abc123');
  const ns = s.linux!.namespaces!.map((n) => n.type).sort();
  assert.deepEqual(ns, ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(s.linux!.cgroupsPath, '/berth/abc');
  assert.ok(s.linux!.maskedPaths!.includes('/proc/kcore'));
  assert.ok(s.linux!.readonlyPaths!.includes('/proc/sysrq-trigger'));
  assert.deepEqual(s.linux!.resources!.devices![0], { allow: false, access: 'rwm' });
  const byDest = Object.fromEntries(s.mounts!.map((m) => [m.destination, m]));
  assert.deepEqual(Object.keys(byDest), [
    '/proc',
    '/dev',
    '/dev/pts',
    '/sys',
    '/sys/fs/cgroup',
    '/dev/mqueue',
    '/dev/shm',
  ]);
  assert.ok(
    byDest['/dev/pts'].options!.includes('newinstance') &&
      byDest['/dev/pts'].options!.includes('ptmxmode=0666') &&
      byDest['/dev/pts'].options!.includes('gid=5'),
  );
  assert.ok(byDest['/dev/shm'].options!.includes('size=67108864'));
  assert.ok(byDest['/sys'].options!.includes('ro'));
  assert.ok(byDest['/sys/fs/cgroup'].options!.includes('ro'));
  JSON.stringify(s); // serialisable
});

test('network modes', () => {
  const nsOf = (network: string) =>
    buildSpec({ id: 'x', args: ['a'], network }).linux!.namespaces!.filter((n) => n.type === 'network');
  assert.deepEqual(nsOf('none'), [{ type: 'network' }]);
  assert.deepEqual(nsOf('host'), []);
  assert.deepEqual(nsOf('/run/berth/netns/x'), [{ type: 'network', path: '/run/berth/netns/x' }]);
});

test('env: PATH default, image PATH wins, TERM with tty, later entries replace', () => {
  assert.deepEqual(buildEnv(['PATH=/x', 'A=1', 'A=2'], 'h', true), ['PATH=/x', 'HOSTNAME=h', 'TERM=xterm', 'A=2']);
  assert.deepEqual(buildEnv([]), [DEFAULT_PATH_ENV]);
});

test('rlimits are clamped to the host hard limit', () => {
  const s = buildSpec({
    id: 'x',
    args: ['a'],
    hostRlimits: { RLIMIT_NOFILE: 20000 },
    rlimits: [{ type: 'RLIMIT_NPROC', soft: 10, hard: 20 }],
  });
  assert.deepEqual(s.process!.rlimits, [
    { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 },
    { type: 'RLIMIT_NPROC', soft: 10, hard: 20 },
  ]);
  const h = hostRlimits();
  assert.ok(h.RLIMIT_NOFILE > 0);
});

test('binds, etc files, init, readonly rootfs, user, cgroup parent, sysctls, oom, nnp', () => {
  const s = buildSpec({
    id: 'c1',
    args: ['app', '-x'],
    user: { uid: 1000, gid: 1000, additionalGids: [10, 20] },
    cwd: '/srv',
    terminal: true,
    binds: [
      { source: '/data', destination: '/data', readonly: true },
      { source: '/host/shm', destination: '/dev/shm' },
    ],
    etcFiles: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
    init: true,
    readonlyRootfs: true,
    cgroupParent: '/mine/',
    sysctls: { 'net.ipv4.ip_forward': '1' },
    oomScoreAdj: 500,
    noNewPrivileges: true,
  });
  assert.deepEqual(s.process!.args, [INIT_DESTINATION, '--', 'app', '-x']);
  assert.deepEqual(s.process!.user, { uid: 1000, gid: 1000, additionalGids: [10, 20] });
  assert.equal(s.process!.cwd, '/srv');
  assert.equal(s.process!.terminal, true);
  assert.ok(s.process!.env!.includes('TERM=xterm'));
  assert.equal(s.process!.oomScoreAdj, 500);
  assert.equal(s.process!.noNewPrivileges, true);
  assert.equal(s.root!.readonly, true);
  assert.equal(s.linux!.cgroupsPath, '/mine/c1');
  assert.deepEqual(s.linux!.sysctl, { 'net.ipv4.ip_forward': '1' });
  const m = Object.fromEntries(s.mounts!.map((x) => [x.destination, x]));
  assert.deepEqual(m['/data'], {
    destination: '/data',
    type: 'bind',
    source: '/data',
    options: ['rbind', 'rprivate', 'ro'],
  });
  assert.equal(m['/dev/shm'].source, '/host/shm'); // a bind replaces the default mount
  assert.equal(s.mounts!.filter((x) => x.destination === '/dev/shm').length, 1);
  assert.equal(m['/etc/hosts'].source, '/c/hosts');
  assert.equal(m['/etc/resolv.conf'].source, '/c/resolv.conf');
  assert.equal(m['/etc/hostname'].source, '/c/hostname');
  assert.deepEqual(m[INIT_DESTINATION], {
    destination: INIT_DESTINATION,
    type: 'bind',
    source: '/usr/bin/tini-static',
    options: ['bind', 'ro'],
  });
});

test('capabilities add/drop', () => {
  assert.ok(capabilities(['SYS_ADMIN']).includes('CAP_SYS_ADMIN'));
  assert.ok(!capabilities([], ['net_raw']).includes('CAP_NET_RAW'));
  assert.deepEqual(capabilities(['CHOWN'], ['ALL']), ['CAP_CHOWN']);
});

test('invalid input', () => {
  assert.throws(() => buildSpec({ id: 'x', args: [] }), /no command/);
  assert.throws(() => buildSpec({ id: 'x', args: ['a'], binds: [{ source: '/a', destination: 'rel' }] }), /absolute/);
});
