// cgroup v2: this project's hosts are hybrid (controllers on v1), so runc never gives a
// container a v2 cgroup here. What can be checked is checked: the v2 readers on a real
// cgroup2 hierarchy this test mounts itself (a child cgroup with a busy process in it: CPU
// usage read from cpu.stat, the hierarchy's controllers as sysinfo sees them), and the
// limit/usage files of the controllers this host keeps on v1 from a tree laid out as v2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readV2 } from './cgroups.ts';
import { readCgroupInfo } from './sysinfo.ts';
import { MNT_DETACH, mount, umount2 } from '../sys/libc.ts';

const isRoot = process.getuid?.() === 0;

test('v2 files: memory, pids, io and CPU read into the stats sample; sysinfo from cgroup.controllers', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-v2-'));
  try {
    await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    await writeFile(join(root, 'cpuset.cpus.effective'), '0-3\n');
    await writeFile(join(root, 'cpuset.mems.effective'), '0\n');
    const c = join(root, 'berth', 'abc');
    await mkdir(c, { recursive: true });
    await writeFile(
      join(c, 'cpu.stat'),
      'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n',
    );
    await writeFile(join(c, 'memory.current'), '1048576\n');
    await writeFile(join(c, 'memory.peak'), '2097152\n');
    await writeFile(join(c, 'memory.max'), '67108864\n');
    await writeFile(join(c, 'memory.stat'), 'anon 4096\nfile 8192\ninactive_file 4096\n');
    await writeFile(join(c, 'pids.current'), '3\n');
    await writeFile(join(c, 'pids.max'), '50\n');
    await writeFile(join(c, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n');
    await writeFile(join(c, 'memory.events'), 'low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n');
    await writeFile(join(c, 'memory.swap.current'), '0\n');
    await writeFile(join(c, 'memory.swap.max'), '134217728\n');
    await writeFile(join(c, 'memory.low'), '0\n');
    await writeFile(join(c, 'cpu.weight'), '100\n');
    await writeFile(join(c, 'cpu.max'), '50000 100000\n');
    await writeFile(join(c, 'cgroup.procs'), '10\n11\n');
    const s = (await readV2(c, { detail: true }))!;
    assert.deepEqual(s.cpu, {
      total: 2_500_000,
      user: 2_000_000,
      system: 500_000,
      percpu: [],
      periods: 10,
      throttledPeriods: 2,
      throttledTime: 300_000,
    });
    assert.deepEqual(s.memory, {
      usage: 1048576,
      maxUsage: 2097152,
      limit: 67108864,
      stats: { anon: 4096, file: 8192, inactive_file: 4096 },
      failcnt: 7,
      kernel: undefined,
      swap: 0,
      oomKills: 1,
    });
    // cpu.weight back to shares as cAdvisor turns it (runc's mapping is not one to one).
    assert.deepEqual(s.settings, {
      cpuShares: 2597,
      cpuPeriod: 100000,
      cpuQuota: 50000,
      memoryReservation: 0,
      memorySwap: 134217728,
    });
    assert.deepEqual(s.procs, [10, 11]);
    assert.deepEqual(s.pids, { current: 3, limit: 50 });
    assert.deepEqual(s.blkio.serviceBytes, [
      { major: 8, minor: 0, op: 'read', value: 4096 },
      { major: 8, minor: 0, op: 'write', value: 8192 },
    ]);
    await writeFile(join(c, 'memory.max'), 'max\n');
    await writeFile(join(c, 'pids.max'), 'max\n');
    await writeFile(join(c, 'cpu.max'), 'max 100000\n');
    await writeFile(join(c, 'memory.swap.max'), 'max\n');
    const unl = (await readV2(c, { detail: true }))!;
    assert.equal(unl.memory.limit, Infinity);
    assert.equal(unl.settings?.cpuQuota, Infinity);
    assert.equal(unl.settings?.memorySwap, Infinity);
    assert.equal(unl.pids.limit, 0);
    // Without `detail` (docker stats, the CRI's stats) those files are not read.
    const plain = (await readV2(c))!;
    assert.equal(plain.settings, undefined);
    assert.equal(plain.procs, undefined);
    assert.equal(plain.memory.failcnt, undefined);
    const info = readCgroupInfo(root);
    assert.equal(info.version, 2);
    assert.ok(info.memoryLimit && info.pidsLimit && info.cpuCfs && info.cpuset && info.blkioReadBpsDevice);
    assert.ok(!info.memorySwappiness && !info.oomKillDisable && !info.kernelMemory && !info.cpuRealtime);
    assert.equal(info.cpus, '0-3');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a private cgroup2 mount: a busy process in a child cgroup shows its CPU through the v2 reader', {
  skip: isRoot ? false : 'needs root (mount)',
}, async () => {
  const mnt = await mkdtemp(join(tmpdir(), 'berth-cg2-'));
  mount('cgroup2', mnt, 'cgroup2', 0, null);
  const child = join(mnt, `berth-v2-test-${process.pid}`);
  const busy = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    await mkdir(child);
    await writeFile(join(child, 'cgroup.procs'), String(busy.pid));
    // Wait on the condition, not a clock: under load the busy loop may get little CPU at first.
    let total = 0;
    for (let i = 0; i < 200 && total <= 50_000_000; i++) {
      await new Promise((r) => setTimeout(r, 50));
      total = (await readV2(child))!.cpu.total;
    }
    assert.ok(total > 50_000_000, `cpu usage ${total} ns`);
    const info = readCgroupInfo(mnt);
    assert.equal(info.version, 2);
    // The controllers this hybrid host left to v2 (none of memory/cpu/pids here), as sysinfo says.
    const ctl = readFileSync(join(mnt, 'cgroup.controllers'), 'utf8');
    assert.equal(info.memoryLimit, ctl.includes('memory'));
    assert.equal(info.pidsLimit, ctl.includes('pids'));
  } finally {
    busy.kill('SIGKILL');
    await new Promise((r) => busy.once('exit', r));
    for (let i = 0; i < 20; i++) {
      try {
        await rmdir(child);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    umount2(mnt, MNT_DETACH);
    await rm(mnt, { recursive: true, force: true });
  }
});
