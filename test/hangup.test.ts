// A client that hangs up mid-request: what may be cancelled is, and what must finish does
// (Docker's rules: a stop, restart or rm that began completes — moby#45731, #46688; a
// start is cancelled only before its task exists, a build or a wait at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { createContainer, waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

/** Sends the request and hangs up after `ms` without reading the answer. */
const hangUp = (method: string, path: string, ms: number) =>
  d.api(method, path, { timeoutMs: ms }).then(
    (r) => r.status,
    () => 'hung up',
  );

const state = async (id: string) => (await d.api('GET', `/containers/${id}/json`)).json().State;

// TERM is ignored: only the stop's SIGKILL after its timeout ends it.
const stubborn = { Image: 'busybox', Cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'] };

test('a stop whose client hung up still kills the container after its timeout', { skip }, async () => {
  const id = await createContainer(d, stubborn);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  assert.equal(await hangUp('POST', `/containers/${id}/stop?t=1`, 200), 'hung up');
  assert.equal((await state(id)).Status, 'running', 'still in its grace period');
  await waitFor(async () => (await state(id)).Status === 'exited', 15_000);
  assert.equal((await state(id)).ExitCode, 137);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('a restart whose client hung up still starts the container again', { skip }, async () => {
  const id = await createContainer(d, stubborn);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const before = await state(id);
  assert.equal(await hangUp('POST', `/containers/${id}/restart?t=1`, 200), 'hung up');
  await waitFor(async () => {
    const s = await state(id);
    return s.Status === 'running' && s.StartedAt !== before.StartedAt;
  }, 15_000);
  assert.notEqual((await state(id)).Pid, before.Pid);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('an rm -f whose client hung up still removes the container', { skip }, async () => {
  const id = await createContainer(d, stubborn);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  await hangUp('DELETE', `/containers/${id}?force=1`, 1);
  await waitFor(async () => (await d.api('GET', `/containers/${id}/json`)).status === 404, 15_000);
});

test('waits whose clients hung up disturb neither the container nor a later wait', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  for (let i = 0; i < 5; i++) await hangUp('POST', `/containers/${id}/wait`, 50);
  assert.equal((await state(id)).Status, 'running');
  const stop = d.api('POST', `/containers/${id}/wait?condition=not-running`);
  assert.equal((await d.api('POST', `/containers/${id}/kill`)).status, 204);
  assert.equal((await stop).json().StatusCode, 137);
  await d.api('DELETE', `/containers/${id}?force=1`);
});
