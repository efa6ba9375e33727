// Cgroup resources through the docker CLI, checked from inside the container: its own
// cgroup files (v1 here: one hierarchy per controller, the container's own cgroup bound at
// /sys/fs/cgroup/<controller>), /proc/self/status, and what the kernel actually does.
// Inspect echoes what the client sent, adapted as dockerd adapts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isRoot, runCli, useDaemon, type TestDaemon, dockerOk } from './helpers/daemon.ts';

const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
const skip = !isRoot ? 'needs root (real mounts, runc, shims)' : !v1 ? 'this file reads cgroup v1 files' : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

const docker = (args: string[]) => dockerOk(d, args);

/** Runs `sh -c script` in a fresh container with `flags`, returns its output lines. */
async function inside(flags: string[], script: string): Promise<string[]> {
  return (await docker(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script])).trim().split('\n');
}

async function inspectHost(flags: string[]): Promise<Record<string, unknown>> {
  const id = (await docker(['create', ...flags, 'busybox', 'true'])).trim();
  const hc = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id]));
  await docker(['rm', id]);
  return hc;
}

test('memory: limit, swap, reservation, swappiness and the OOM killer switch land in the cgroup', {
  skip,
}, async () => {
  const out = await inside(
    [
      '--memory',
      '64m',
      '--memory-swap',
      '128m',
      '--memory-reservation',
      '32m',
      '--memory-swappiness',
      '10',
      '--oom-kill-disable',
    ],
    'cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.memsw.limit_in_bytes memory.soft_limit_in_bytes memory.swappiness && grep oom_kill_disable memory.oom_control',
  );
  assert.deepEqual(out, [String(64 << 20), String(128 << 20), String(32 << 20), '10', 'oom_kill_disable 1']);
  const hc = await inspectHost(['--memory', '64m']);
  assert.equal(hc.Memory, 64 << 20);
  // dockerd's default: swap twice the memory limit.
  assert.equal(hc.MemorySwap, 128 << 20);
  assert.equal(hc.OomKillDisable, false);
  const [memsw] = await inside(['--memory', '64m'], 'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  assert.equal(memsw, String(128 << 20));
  const [unlimited] = await inside(
    ['--memory', '64m', '--memory-swap', '-1'],
    'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes',
  );
  assert.ok(Number(unlimited) > 2 ** 60, `swap -1 is unlimited, got ${unlimited}`);
});

test('cpu: --cpus, shares, period/quota, cpuset — and the kernel confines the process', { skip }, async () => {
  const [quota, period, shares] = await inside(
    ['--cpus', '1.5', '--cpu-shares', '512'],
    'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares',
  );
  assert.deepEqual([quota, period, shares], ['150000', '100000', '512']);
  const [q2, p2] = await inside(
    ['--cpu-period', '50000', '--cpu-quota', '25000'],
    'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us',
  );
  assert.deepEqual([q2, p2], ['25000', '50000']);
  const [cpus, allowed] = await inside(
    ['--cpuset-cpus', '0', '--cpuset-mems', '0'],
    'cat /sys/fs/cgroup/cpuset/cpuset.cpus; grep Cpus_allowed_list /proc/self/status',
  );
  assert.equal(cpus, '0');
  assert.match(allowed, /Cpus_allowed_list:\s+0$/);
  const hc = await inspectHost(['--cpus', '1.5', '--cpu-shares', '512', '--cpuset-cpus', '0']);
  assert.equal(hc.NanoCpus, 1.5e9);
  assert.equal(hc.CpuShares, 512);
  assert.equal(hc.CpusetCpus, '0');
});

test('pids: --pids-limit caps the cgroup and fork fails past it', { skip }, async () => {
  // The fork loop runs in a child shell (which dies when a fork fails); the rest uses builtins.
  const out = await inside(
    ['--pids-limit', '10'],
    'read m < /sys/fs/cgroup/pids/pids.max; echo $m; sh -c "i=0; while [ \\$i -lt 20 ]; do sleep 5 & i=\\$((i+1)); done; echo all-forked" 2>/dev/null; echo inner=$?; read c < /sys/fs/cgroup/pids/pids.current; echo $c',
  );
  assert.equal(out[0], '10');
  assert.ok(!out.includes('all-forked'), 'the 20 forks did not all succeed');
  assert.ok(Number(out.at(-1)) <= 10, `pids.current ${out.at(-1)} within the limit`);
  const hc = await inspectHost(['--pids-limit', '10']);
  assert.equal(hc.PidsLimit, 10);
  assert.equal((await inspectHost([])).PidsLimit, null);
});

test('blkio throttles, oom score, devices and device rules, sysctls, cgroup parent', { skip }, async () => {
  // A block device the host has (throttles name a device; they need not be the rootfs's).
  const block = readdirSync('/dev')
    .map((n) => `/dev/${n}`)
    .find((p) => statSync(p).isBlockDevice());
  assert.ok(block, 'the host has a block device');
  const rdev = statSync(block).rdev;
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  const [w, r] = await inside(
    ['--device-write-bps', `${block}:1mb`, '--device-read-iops', `${block}:100`],
    'cat /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device /sys/fs/cgroup/blkio/blkio.throttle.read_iops_device',
  );
  assert.equal(w, `${major}:${minor} 1048576`);
  assert.equal(r, `${major}:${minor} 100`);
  const [adj] = await inside(['--oom-score-adj', '300'], 'cat /proc/self/oom_score_adj');
  assert.equal(adj, '300');
  const devs = await inside(
    ['--device', '/dev/null:/dev/mynull:rw', '--device-cgroup-rule', 'c 42:* rm'],
    'ls -l /dev/mynull | cut -c1; echo hi > /dev/mynull && echo wrote; cat /sys/fs/cgroup/devices/devices.list',
  );
  assert.equal(devs[0], 'c');
  assert.equal(devs[1], 'wrote');
  assert.ok(devs.includes('c 42:* rm'), devs.join('|'));
  const sysctl = await inside(
    ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1048576'],
    'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax',
  );
  assert.deepEqual(sysctl, ['1', '1048576']);
  // dockerd's defaults for a container's own network namespace.
  assert.deepEqual(
    await inside([], 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range'),
    ['0', '0\t2147483647'],
  );
  const parent = `berth-limits-${process.pid}`;
  const cg = await inside(['--cgroup-parent', parent], 'grep memory /proc/self/cgroup');
  assert.match(cg[0], new RegExp(`:memory:/${parent}/[0-9a-f]{64}$`));
});

test('pid, ipc and uts modes: host and another container', { skip }, async () => {
  const hostPid = (await inside(['--pid', 'host'], 'cat /proc/1/comm'))[0];
  assert.notEqual(hostPid, 'cat', 'sees the host init as pid 1');
  const uts = await inside(['--uts', 'host'], 'hostname');
  assert.equal(uts[0], (await import('node:os')).hostname());
  const hostIpc = (await import('node:fs')).readlinkSync('/proc/self/ns/ipc');
  assert.equal((await inside(['--ipc', 'host'], 'readlink /proc/self/ns/ipc'))[0], hostIpc);
  assert.equal((await inside(['--ipc', 'none'], 'test -e /dev/shm && echo shm || echo none'))[0], 'none');

  const donor = (
    await docker(['run', '-d', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/x; sleep 60'])
  ).trim();
  try {
    const [pidNs, ipcNs] = (
      await docker(['exec', donor, 'sh', '-c', 'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc'])
    )
      .trim()
      .split('\n');
    const out = await inside(
      ['--pid', `container:${donor}`, '--ipc', `container:${donor}`],
      'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; cat /dev/shm/x',
    );
    assert.deepEqual(out, [pidNs, ipcNs, 'shared']);
    const hc = await inspectHost(['--pid', `container:${donor.slice(0, 12)}`]);
    assert.equal(hc.PidMode, `container:${donor}`, 'pinned to the full ID as dockerd does');
    // A private (non-shareable) donor is refused at start.
    const priv = (await docker(['run', '-d', 'busybox', 'sleep', '60'])).trim();
    const r = await runCli('docker', d, ['run', '--rm', '--ipc', `container:${priv}`, 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /non-shareable IPC/);
    await docker(['rm', '-f', priv]);
  } finally {
    await docker(['rm', '-f', donor]);
  }
});

test('inspect echoes what was sent, with dockerd’s defaults where nothing was', { skip }, async () => {
  const hc = await inspectHost([]);
  assert.equal(hc.IpcMode, 'private');
  assert.equal(hc.CgroupnsMode, 'host');
  assert.equal(hc.Runtime, 'runc');
  assert.equal(hc.Memory, 0);
  assert.equal(hc.MemorySwap, 0);
  assert.equal(hc.MemorySwappiness, null);
  assert.deepEqual(hc.BlkioDeviceReadBps, []);
  const full = await inspectHost([
    '--memory-reservation',
    '20m',
    '--oom-score-adj',
    '-5',
    '--device-cgroup-rule',
    'b 7:* r',
  ]);
  assert.equal(full.MemoryReservation, 20 << 20);
  assert.equal(full.OomScoreAdj, -5);
  assert.deepEqual(full.DeviceCgroupRules, ['b 7:* r']);
});

test('OOM: a container that allocates past --memory 16m is OOMKilled, exits 137, and an oom event goes out', {
  skip,
}, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const r = await runCli('docker', d, [
    'run',
    '--name',
    'oom-hog',
    '--memory',
    '16m',
    '--memory-swap',
    '16m',
    'busybox',
    'sh',
    '-c',
    'exec dd if=/dev/zero of=/dev/null bs=64M count=1',
  ]);
  assert.equal(r.code, 137, r.stderr);
  const st = JSON.parse(await docker(['inspect', '--format', '{{json .State}}', 'oom-hog']));
  assert.equal(st.OOMKilled, true);
  assert.equal(st.ExitCode, 137);
  const until = Math.floor(Date.now() / 1000) + 1;
  const events = (
    await docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'container=oom-hog',
      '--format',
      '{{.Action}}',
    ])
  )
    .trim()
    .split('\n');
  assert.ok(events.includes('oom'), events.join(','));
  assert.ok(events.indexOf('oom') < events.indexOf('die'), `oom before die: ${events.join(',')}`);
  await docker(['rm', '-f', 'oom-hog']);
  // A run that stays within its limit is not OOMKilled.
  const ok = (await docker(['run', '-d', '--memory', '16m', 'busybox', 'true'])).trim();
  await docker(['wait', ok]);
  assert.equal((await docker(['inspect', '--format', '{{.State.OOMKilled}}', ok])).trim(), 'false');
  await docker(['rm', ok]);
});
