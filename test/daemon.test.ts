// berthd as a process: killed at any instant it restarts consistent, re-adopting running
// containers; one daemon per data root; two daemons side by side stay apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import {
  isRoot,
  berthdMain,
  mountsUnder,
  startDaemon,
  importBusybox,
  type TestDaemon,
  useDaemon,
} from './helpers/daemon.ts';
import { demux } from './helpers/http.ts';
import { createContainer, waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

const inspect = async (id: string) => (await d.api('GET', `/containers/${id}/json`)).json();
const logsOf = async (id: string) =>
  demux((await d.api('GET', `/containers/${id}/logs?stdout=1&stderr=1`)).body).stdout;

function shimPids(id: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `containerd-shim-runc-v2 -namespace berth -id ${id}`])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

test('SIGKILLed berthd: running containers are re-adopted and keep logging; exits while down are recorded', {
  skip,
}, async () => {
  const ticker = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done'],
  });
  const exiter = await createContainer(d, { Image: 'busybox', Cmd: ['sh', '-c', 'sleep 1; exit 42'] });
  const policy = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'sleep 1; exit 3'],
    HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } },
  });
  for (const id of [ticker, exiter, policy]) assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const pid = (await inspect(ticker)).State.Pid;
  const exiting = [(await inspect(exiter)).State.Pid, (await inspect(policy)).State.Pid];
  await waitFor(async () => (await logsOf(ticker)).includes('tick3'));

  await d.stop('SIGKILL');
  // exiter and policy exit while berthd is down (however long `sleep 1` takes on a loaded host)
  await waitFor(async () => exiting.every((p) => !existsSync(`/proc/${p}`)), 60_000);
  assert.ok(existsSync(`/proc/${pid}`), 'the container outlives its daemon');
  await d.start();

  const t = await inspect(ticker);
  assert.equal(t.State.Running, true);
  assert.equal(t.State.Pid, pid);
  const before = (await logsOf(ticker)).split('\n').length;
  await waitFor(async () => (await logsOf(ticker)).split('\n').length > before + 3, 60_000);
  const e = await inspect(exiter);
  assert.equal(e.State.Status, 'exited');
  assert.equal(e.State.ExitCode, 42, 'real exit code from the shim');
  await waitFor(async () => (await inspect(policy)).RestartCount === 1, 60_000);

  assert.equal((await d.api('POST', `/containers/${ticker}/kill`)).status, 204);
  await waitFor(async () => !(await inspect(ticker)).State.Running);
  assert.equal((await inspect(ticker)).State.ExitCode, 137);
  for (const id of [ticker, exiter, policy])
    assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
  for (const id of [ticker, exiter, policy]) assert.deepEqual(shimPids(id), [], 'no shim left');
  assert.deepEqual(mountsUnder(d.execRoot), [], 'no rootfs mounts left');
  assert.deepEqual(
    (await readdir(`${d.execRoot}/tasks`)).filter((n) => !n.startsWith('pool-')),
    [],
    'no bundles or FIFOs left',
  );
});

test('SIGTERM leaves containers running under their shims', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  const pid = (await inspect(id)).State.Pid;
  await d.stop('SIGTERM');
  assert.ok(existsSync(`/proc/${pid}`));
  await d.start();
  assert.equal((await inspect(id)).State.Pid, pid);
  const w = d.api('POST', `/containers/${id}/wait`);
  assert.equal((await d.api('POST', `/containers/${id}/stop?t=1`)).status, 204);
  assert.equal((await w).json().StatusCode, 137);
  await d.api('DELETE', `/containers/${id}`);
});

test('container and shim killed while berthd is down: Exited, and start works again', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  const pid = (await inspect(id)).State.Pid;
  await d.stop('SIGKILL');
  for (const p of [...shimPids(id), pid]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor(async () => !existsSync(`/proc/${pid}`), 60_000);
  await d.start();
  const s = await inspect(id);
  assert.equal(s.State.Running, false);
  assert.ok([137, 255].includes(s.State.ExitCode), `exit ${s.State.ExitCode}`);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await inspect(id)).State.Running, true);
  await d.api('DELETE', `/containers/${id}?force=1`);
  assert.deepEqual(mountsUnder(d.execRoot), []);
});

test('always/unless-stopped containers come back after a daemon restart; stopped ones stay down', {
  skip,
}, async () => {
  const always = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sleep', '300'],
    HostConfig: { RestartPolicy: { Name: 'always' } },
  });
  const unless = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sleep', '300'],
    HostConfig: { RestartPolicy: { Name: 'unless-stopped' } },
  });
  for (const id of [always, unless]) await d.api('POST', `/containers/${id}/start`);
  for (const id of [always, unless]) await d.api('POST', `/containers/${id}/stop?t=0`);
  await d.stop('SIGTERM');
  await d.start();
  await waitFor(async () => (await inspect(always)).State.Running, 10_000);
  assert.equal((await inspect(unless)).State.Running, false, 'manually stopped unless-stopped stays down');
  for (const id of [always, unless]) await d.api('DELETE', `/containers/${id}?force=1`);
});

test('a second daemon on the same data root refuses to start', { skip }, async () => {
  const p = spawn(
    process.execPath,
    [
      berthdMain,
      '--data-root',
      d.dataRoot,
      '--exec-root',
      `${d.root}/exec2`,
      '-H',
      `unix://${d.root}/second.sock`,
      '--config-file',
      `${d.root}/daemon.json`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  p.stderr.on('data', (c) => (err += c));
  const killer = setTimeout(() => p.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((r) => p.on('exit', r));
  clearTimeout(killer);
  assert.notEqual(code, 0);
  assert.match(err, /lock|in use|another/i);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});

test('two daemons side by side keep their containers apart', { skip }, async () => {
  const other = await startDaemon();
  try {
    await importBusybox(other);
    const a = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'shared-name');
    const b = await createContainer(other, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'shared-name');
    await d.api('POST', `/containers/${a}/start`);
    await other.api('POST', `/containers/${b}/start`);
    assert.equal((await other.api('GET', `/containers/${a}/json`)).status, 404);
    await other.api('DELETE', `/containers/${b}?force=1`);
    assert.equal((await inspect(a)).State.Running, true, 'removing in one daemon leaves the other alone');
    await d.api('DELETE', `/containers/${a}?force=1`);
  } finally {
    await other.cleanup();
  }
});

test('the socket is 0660 and /_ping has Docker headers', { skip }, async () => {
  const s = await stat(d.socket);
  assert.equal(s.mode & 0o777, 0o660);
  const r = await d.api('GET', '/_ping');
  assert.equal(r.body.toString(), 'OK');
  assert.equal(r.headers['api-version'], '1.47');
  assert.equal(r.headers.ostype, 'linux');
  const head = await d.api('HEAD', '/_ping');
  assert.equal(head.status, 200);
  const v = (await d.api('GET', '/v1.44/version')).json();
  assert.equal(v.ApiVersion, '1.47');
  assert.equal(v.MinAPIVersion, '1.24');
});

test('a live task is adopted even when its record never saw the start (state tampered to created)', {
  skip,
}, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  const pid = (await inspect(id)).State.Pid;
  await d.stop('SIGKILL');
  const { writeFile } = await import('node:fs/promises');
  // As if berthd died before the running state reached the disk.
  await writeFile(
    `${d.dataRoot}/containers/${id}/state.json`,
    JSON.stringify({
      schema: 1,
      restartCount: 0,
      manuallyStopped: false,
      hasBeenStarted: false,
      state: {
        Status: 'created',
        Pid: 0,
        ExitCode: 0,
        Error: '',
        StartedAt: '0001-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
        OOMKilled: false,
      },
    }),
  );
  await d.start();
  const s = await inspect(id);
  assert.equal(s.State.Running, true);
  assert.equal(s.State.Pid, pid);
  assert.ok(existsSync(`/proc/${pid}`));
  await d.api('DELETE', `/containers/${id}?force=1`);
});
