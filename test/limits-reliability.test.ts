// Hostile workloads under limits (issue 11, reliability): a fork bomb under --pids-limit 50,
// a memory hog under --memory 32m, a disk writer under --device-write-bps — each bounded
// by its cgroup, while berthd keeps answering and other containers keep running; each
// container goes away cleanly afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isRoot, useDaemon, type TestDaemon, dockerOk } from './helpers/daemon.ts';

const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
const skip = !isRoot ? 'needs root (real mounts, runc, shims)' : !v1 ? 'this file reads cgroup v1 files' : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

const docker = async (args: string[]) => (await dockerOk(d, args)).trim();

/** berthd answers /_ping and runs a container while the hostile one runs; returns the slowest ping. */
async function stillServing(ms: number): Promise<number> {
  let worst = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    const r = await d.api('GET', '/_ping', { timeoutMs: 5000 });
    assert.equal(r.status, 200);
    worst = Math.max(worst, performance.now() - t);
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(await docker(['run', '--rm', 'busybox', 'echo', 'alive']), 'alive');
  return worst;
}

const cgroupFile = (id: string, ctl: string, file: string) =>
  `/sys/fs/cgroup/${ctl}/berth-test-${d.root.split('-').pop()}/${id}/${file}`;

test('a fork bomb under --pids-limit 50 is contained; berthd answers; rm -f ends it', { skip }, async () => {
  const id = await docker(['run', '-d', '--pids-limit', '50', 'busybox', 'sh', '-c', 'b() { b | b & }; b; sleep 1000']);
  try {
    const worst = await stillServing(3000);
    assert.ok(worst < 2000, `slowest /_ping ${worst.toFixed(0)} ms`);
    const pids = Number((await import('node:fs')).readFileSync(cgroupFile(id, 'pids', 'pids.current'), 'utf8'));
    assert.ok(pids <= 50, `pids.current ${pids}`);
  } finally {
    await docker(['rm', '-f', id]);
  }
  assert.ok(!existsSync(cgroupFile(id, 'pids', 'pids.current')), 'its cgroup is gone');
});

test('a memory hog under --memory 32m is OOM-killed again and again; berthd and the host are unaffected', {
  skip,
}, async () => {
  const id = await docker([
    'run',
    '-d',
    '--memory',
    '32m',
    '--memory-swap',
    '32m',
    'busybox',
    'sh',
    '-c',
    'while :; do dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; done',
  ]);
  try {
    const worst = await stillServing(3000);
    assert.ok(worst < 2000, `slowest /_ping ${worst.toFixed(0)} ms`);
    const max = Number(
      (await import('node:fs')).readFileSync(cgroupFile(id, 'memory', 'memory.max_usage_in_bytes'), 'utf8'),
    );
    assert.ok(max <= 32 << 20, `max usage ${max}`);
    const oom = (await import('node:fs')).readFileSync(cgroupFile(id, 'memory', 'memory.oom_control'), 'utf8');
    assert.match(oom, /oom_kill [1-9]/);
    assert.equal(JSON.parse(await docker(['inspect', '--format', '{{json .State.Running}}', id])), true);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

test('a disk writer under --device-write-bps is throttled; berthd answers', { skip }, async () => {
  const block = readdirSync('/dev')
    .map((n) => `/dev/${n}`)
    .find((p) => statSync(p).isBlockDevice() && statSync(d.dataRoot).dev === statSync(p).rdev);
  if (!block) return; // the data root is on no block device of this host (tmpfs, overlay): nothing to throttle
  const t = performance.now();
  const id = await docker([
    'run',
    '-d',
    '--device-write-bps',
    `${block}:1mb`,
    'busybox',
    'sh',
    '-c',
    'dd if=/dev/zero of=/x bs=512k count=6 oflag=direct 2>/dev/null; echo done',
  ]);
  try {
    await stillServing(1000);
    assert.equal(await docker(['wait', id]), '0');
    const s = (performance.now() - t) / 1000;
    assert.ok(s >= 2.5, `3 MB at 1 MB/s took ${s.toFixed(1)} s`);
  } finally {
    await docker(['rm', '-f', id]);
  }
});
