// `docker update` / `berth update` against berthd: limits change in the running container's
// cgroup at once (read from inside), the record keeps them across a restart, dockerd's
// conflicts and checks apply, an update racing stop/start leaves cgroup and record
// agreeing; `docker stats` shows the limits in Docker's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isRoot, runCli, useDaemon, type TestDaemon, dockerOk } from './helpers/daemon.ts';

const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
const skip = !isRoot ? 'needs root (real mounts, runc, shims)' : !v1 ? 'this file reads cgroup v1 files' : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

const docker = async (args: string[]) => (await dockerOk(d, args)).trim();

const cat = async (id: string, file: string) => docker(['exec', id, 'cat', `/sys/fs/cgroup/${file}`]);

test('docker update changes a running container’s cgroup at once and the change survives a restart', {
  skip,
}, async () => {
  const id = await docker([
    'run',
    '-d',
    '--memory',
    '64m',
    '--cpus',
    '1',
    '--pids-limit',
    '50',
    'busybox',
    'sleep',
    '1000',
  ]);
  try {
    assert.equal(await cat(id, 'memory/memory.limit_in_bytes'), String(64 << 20));
    await docker([
      'update',
      '--memory',
      '96m',
      '--memory-swap',
      '192m',
      '--cpus',
      '0.5',
      '--pids-limit',
      '20',
      '--cpu-shares',
      '256',
      id,
    ]);
    assert.equal(await cat(id, 'memory/memory.limit_in_bytes'), String(96 << 20));
    assert.equal(await cat(id, 'memory/memory.memsw.limit_in_bytes'), String(192 << 20));
    assert.equal(await cat(id, 'cpu/cpu.cfs_quota_us'), '50000');
    assert.equal(await cat(id, 'cpu/cpu.shares'), '256');
    assert.equal(await cat(id, 'pids/pids.max'), '20');
    const hc = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id]));
    assert.equal(hc.Memory, 96 << 20);
    assert.equal(hc.MemorySwap, 192 << 20);
    assert.equal(hc.NanoCpus, 0.5e9);
    assert.equal(hc.PidsLimit, 20);
    // Persisted: a restart applies the updated record.
    await docker(['restart', '-t', '1', id]);
    assert.equal(await cat(id, 'memory/memory.limit_in_bytes'), String(96 << 20));
    assert.equal(await cat(id, 'pids/pids.max'), '20');
    // Unlimited pids again.
    await docker(['update', '--pids-limit', '-1', id]);
    assert.equal(await cat(id, 'pids/pids.max'), 'max');
    assert.equal(JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig.PidsLimit}}', id])), null);
    // stats show the limits in Docker's shape.
    const stats = JSON.parse(
      (await runCli('docker', d, ['stats', '--no-stream', '--format', '{{json .}}', id])).stdout.trim(),
    );
    assert.match(stats.MemUsage, /\/ 96MiB$/);
    const raw = (await d.api('GET', `/containers/${id}/stats?stream=false`)).json();
    assert.equal(raw.memory_stats.limit, 96 << 20);
    assert.ok(raw.pids_stats.current >= 1);
    assert.ok(raw.cpu_stats.cpu_usage.total_usage > 0);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

test('update: restart policy, a stopped container, dockerd’s conflicts and checks', { skip }, async () => {
  const id = await docker(['create', '--cpus', '1', '--memory', '64m', 'busybox', 'sleep', '1000']);
  try {
    await docker(['update', '--restart', 'on-failure:3', '--memory', '100m', '--memory-swap', '200m', id]);
    const hc = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id]));
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(hc.Memory, 100 << 20);
    await docker(['start', id]);
    assert.equal(await cat(id, 'memory/memory.limit_in_bytes'), String(100 << 20));
    const refuse = async (args: string[], re: RegExp) => {
      const r = await runCli('docker', d, ['update', ...args, id]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, re);
    };
    await refuse(
      ['--cpu-period', '50000'],
      /Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set/,
    );
    await refuse(['--memory', '300m'], /Memory limit should be smaller than already set memoryswap limit/);
    await refuse(['--memory', '4m', '--memory-swap', '8m'], /Minimum memory limit allowed is 6MB/);
    await refuse(['--cpus', '1000'], /Range of CPUs is from 0\.01 to/);
    await refuse(['--cpuset-cpus', '0-999'], /Requested CPUs are not available/);
    // The failed updates changed nothing.
    assert.equal(await cat(id, 'memory/memory.limit_in_bytes'), String(100 << 20));
    const r = await d.api('POST', `/containers/${id}/update`, { body: { CpuShares: 1.5 } });
    assert.equal(r.status, 400);
    const rm = await d.api('POST', '/containers/create?name=upd-rm', {
      body: { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true } },
    });
    assert.equal(rm.status, 201);
    const bad = await d.api('POST', '/containers/upd-rm/update', { body: { RestartPolicy: { Name: 'always' } } });
    assert.equal(bad.status, 409);
    assert.match(bad.json().message, /Restart policy cannot be updated because AutoRemove is enabled/);
    await d.api('DELETE', '/containers/upd-rm');
    assert.equal((await d.api('POST', '/containers/nosuch/update', { body: { Memory: 10 << 20 } })).status, 404);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

test('berth update does the same', { skip }, async () => {
  const id = await docker(['run', '-d', '--memory', '64m', 'busybox', 'sleep', '1000']);
  try {
    const r = await runCli('berth', d, ['update', '--memory', '80m', '--memory-swap', '160m', '--pids-limit', '7', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await cat(id, 'memory/memory.limit_in_bytes'), String(80 << 20));
    assert.equal(await cat(id, 'pids/pids.max'), '7');
    const none = await runCli('berth', d, ['update', id]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /you must provide one or more flags/);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

test('updates racing stop/start leave the cgroup and the record agreeing', { skip }, async () => {
  const id = await docker(['run', '-d', '--pids-limit', '100', 'busybox', 'sleep', '1000']);
  try {
    const updates = (async () => {
      for (let i = 0; i < 20; i++) {
        const r = await d.api('POST', `/containers/${id}/update`, { body: { PidsLimit: 30 + i } });
        assert.ok(r.status === 200, `${r.status} ${r.body}`);
      }
    })();
    const cycles = (async () => {
      for (let i = 0; i < 4; i++) {
        await d.api('POST', `/containers/${id}/stop?t=0`);
        await d.api('POST', `/containers/${id}/start`);
      }
    })();
    await Promise.all([updates, cycles]);
    const st = (await d.api('GET', `/containers/${id}/json`)).json();
    if (st.State.Status !== 'running') await d.api('POST', `/containers/${id}/start`);
    const recorded = (await d.api('GET', `/containers/${id}/json`)).json().HostConfig.PidsLimit;
    assert.equal(recorded, 49);
    assert.equal(await cat(id, 'pids/pids.max'), String(recorded));
  } finally {
    await docker(['rm', '-f', id]);
  }
});
