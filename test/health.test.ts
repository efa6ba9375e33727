// HEALTHCHECK through the docker CLI against berthd: the image's and the --health-* flags,
// Docker's .State.Health, `ps` status and filter, health_status events, timeouts killed,
// nothing probed while paused, probes re-armed after a berthd restart, and no exec, FIFO or
// fd left behind after 1 000 probes (hanging, 10 MB of output, exiting with the container).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, runCli, useDaemon, type TestDaemon, dockerOk } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;
useDaemon((x) => (d = x));

const docker = async (args: string[]) => (await dockerOk(d, args)).trim();

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}
const health = async (id: string): Promise<Health> =>
  (await d.api('GET', `/containers/${id}/json`)).json().State.Health;
const waitStatus = (id: string, status: string, ms = 20_000) =>
  waitFor(async () => (await health(id))?.Status === status, ms, 100);

test('--health-* flags: starting → healthy → unhealthy, Docker’s Health shape, ps status and filter, events', {
  skip,
}, async () => {
  const since = Math.floor(Date.now() / 1000);
  const id = await docker([
    'run',
    '-d',
    '--health-cmd',
    'cat /tmp/ok && echo fine',
    '--health-interval',
    '200ms',
    '--health-retries',
    '2',
    'busybox',
    'sleep',
    '1000',
  ]);
  try {
    const first = await health(id);
    assert.equal(first.Status, 'starting');
    assert.match(await docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']), /\(health: starting\)$/);
    await waitStatus(id, 'unhealthy');
    const bad = await health(id);
    assert.ok(bad.FailingStreak >= 2);
    assert.match(bad.Log.at(-1)!.Output, /No such file or directory/);
    assert.equal(bad.Log.at(-1)!.ExitCode, 1);
    assert.match(await docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']), /\(unhealthy\)$/);
    await docker(['exec', id, 'touch', '/tmp/ok']);
    await waitStatus(id, 'healthy');
    const good = await health(id);
    assert.equal(good.FailingStreak, 0);
    assert.equal(good.Log.at(-1)!.Output, 'fine\n');
    assert.ok(good.Log.length <= 5, 'the log keeps the last 5');
    assert.match(await docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']), /\(healthy\)$/);
    assert.equal(await docker(['ps', '-q', '--no-trunc', '--filter', 'health=healthy']), id);
    assert.equal(await docker(['ps', '-q', '--filter', 'health=unhealthy']), '');
    const none = await runCli('docker', d, ['ps', '--filter', 'health=sick']);
    assert.notEqual(none.code, 0);
    const events = await docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      `container=${id}`,
      '--filter',
      'event=health_status',
      '--format',
      '{{.Action}}',
    ]);
    assert.deepEqual(events.split('\n'), ['health_status: unhealthy', 'health_status: healthy']);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

test('an image HEALTHCHECK runs; --no-healthcheck turns it off; start period failures do not count', {
  skip,
}, async () => {
  const ctx = await mkdtemp(join(tmpdir(), 'berth-health-'));
  try {
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nHEALTHCHECK --interval=200ms --timeout=2s --start-period=60s --start-interval=200ms --retries=1 CMD test -e /tmp/ok\n',
    );
    await docker(['build', '-q', '-t', 'hc-image', ctx]);
    const id = await docker(['run', '-d', 'hc-image', 'sleep', '1000']);
    // Failing inside the start period: still starting, streak 0, the results logged.
    await waitFor(async () => ((await health(id))?.Log?.length ?? 0) >= 3, 20_000, 100);
    const h = await health(id);
    assert.equal(h.Status, 'starting');
    assert.equal(h.FailingStreak, 0);
    await docker(['exec', id, 'touch', '/tmp/ok']);
    await waitStatus(id, 'healthy');
    await docker(['rm', '-f', id]);
    const off = await docker(['run', '-d', '--no-healthcheck', 'hc-image', 'sleep', '1000']);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await health(off), undefined);
    assert.doesNotMatch(await docker(['ps', '--filter', `id=${off}`, '--format', '{{.Status}}']), /health/);
    await docker(['rm', '-f', off]);
    await docker(['rmi', 'hc-image']);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test('a probe past its timeout is killed and recorded as -1', { skip }, async () => {
  const id = await docker([
    'run',
    '-d',
    '--health-cmd',
    'echo partial; sleep 30',
    '--health-timeout',
    '300ms',
    '--health-interval',
    '200ms',
    '--health-retries',
    '1',
    'busybox',
    'sleep',
    '1000',
  ]);
  try {
    await waitStatus(id, 'unhealthy');
    const last = (await health(id)).Log.at(-1)!;
    assert.equal(last.ExitCode, -1);
    assert.equal(last.Output, 'Health check exceeded timeout (300ms): partial\n');
    // The killed probes are gone from the container.
    const ps = await docker(['exec', id, 'ps', '-o', 'args']);
    assert.ok(!ps.includes('sleep 30'), ps);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

test('no probes while paused; probes re-armed after a berthd restart', { skip }, async () => {
  const id = await docker([
    'run',
    '-d',
    '--health-cmd',
    'true',
    '--health-interval',
    '200ms',
    'busybox',
    'sleep',
    '1000',
  ]);
  try {
    await waitStatus(id, 'healthy');
    await docker(['pause', id]);
    const before = (await health(id)).Log.at(-1)!.End;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await health(id)).Log.at(-1)!.End, before, 'nothing probed while paused');
    await docker(['unpause', id]);
    await waitFor(async () => (await health(id)).Log.at(-1)!.End !== before, 10_000, 100);
    await d.stop();
    await d.start();
    const h = await health(id);
    assert.equal(h.Status, 'healthy', 'the recorded health is kept');
    const last = h.Log.at(-1)!.End;
    await waitFor(async () => (await health(id)).Log.at(-1)!.End !== last, 10_000, 100);
  } finally {
    await docker(['rm', '-f', id]);
  }
});

/** berthd's open fds. */
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

test('1 000 probes — hanging, 10 MB of output, exiting with the container — leave no exec, FIFO or fd behind', {
  skip,
  timeout: 600_000,
}, async () => {
  const pid = d.proc.pid!;
  const fds0 = fdsOf(pid);
  const rss0 = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  // Each probe leaves a line in its container's /tmp/n: that counts them.
  const count = 'echo >> /tmp/n';
  const fast = await docker([
    'run',
    '-d',
    '--health-cmd',
    count,
    '--health-interval',
    '1ms',
    'busybox',
    'sleep',
    '1000',
  ]);
  const loud = await docker([
    'run',
    '-d',
    '--health-cmd',
    `${count}; head -c 10000000 /dev/zero; exit 1`,
    '--health-interval',
    '1ms',
    'busybox',
    'sleep',
    '1000',
  ]);
  const hang = await docker([
    'run',
    '-d',
    '--health-cmd',
    `${count}; sleep 60`,
    '--health-timeout',
    '50ms',
    '--health-interval',
    '1ms',
    'busybox',
    'sleep',
    '1000',
  ]);
  try {
    const probes = async (id: string) =>
      Number((await docker(['exec', id, 'sh', '-c', 'cat /tmp/n 2>/dev/null | wc -l'])).trim());
    await waitFor(
      async () => (await probes(fast)) + (await probes(loud)) + (await probes(hang)) >= 1000,
      300_000,
      2000,
    );
    await waitFor(async () => ((await health(loud))?.Log?.length ?? 0) > 0, 20_000, 100);
    const loudOut = '';
    const out = (await health(loud)).Log.at(-1)!.Output || loudOut;
    assert.equal(out.length, 4096 + 3, 'output capped at 4096 bytes and "..."');
    assert.equal((await health(hang)).Log.at(-1)!.ExitCode, -1);
    // Stop one container while its probe runs: the probe goes with it.
    await docker(['stop', '-t', '0', hang]);
    for (const id of [fast, loud]) {
      const ps = await docker(['exec', id, 'ps', '-o', 'args']);
      assert.ok(ps.split('\n').length <= 6, `no piled-up probes:\n${ps}`);
    }
  } finally {
    await docker(['rm', '-f', fast, loud, hang]);
  }
  // Nothing left: the bundles went with the containers; exec FIFOs, fds and memory are back.
  const tasks = (await readdir(join(d.execRoot, 'tasks'))).filter((n) => !n.startsWith('pool-'));
  assert.deepEqual(tasks, []);
  await waitFor(async () => fdsOf(pid) <= fds0 + 5, 10_000, 200);
  const rss1 = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  assert.ok(rss1 < rss0 + 100 * 1024, `RSS ${rss0} kB → ${rss1} kB`);
});
