import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_MAX_MS, nextRestartDelay, RESET_AFTER_MS, shouldRestart } from './restart-policy.ts';

const rt = (o: { manuallyStopped?: boolean; restartCount?: number } = {}) => ({
  manuallyStopped: false,
  restartCount: 0,
  ...o,
});

test('policies: no, always, unless-stopped, on-failure[:max]', () => {
  assert.equal(shouldRestart(rt(), 1, undefined), false);
  assert.equal(shouldRestart(rt(), 1, { Name: 'no' }), false);
  assert.equal(shouldRestart(rt(), 1, { Name: '' }), false);
  assert.equal(shouldRestart(rt(), 0, { Name: 'always' }), true);
  assert.equal(shouldRestart(rt(), 0, { Name: 'unless-stopped' }), true);
  assert.equal(shouldRestart(rt(), 0, { Name: 'on-failure' }), false);
  assert.equal(shouldRestart(rt(), 2, { Name: 'on-failure' }), true);
  assert.equal(shouldRestart(rt({ restartCount: 99 }), 2, { Name: 'on-failure', MaximumRetryCount: 0 }), true);
  assert.equal(shouldRestart(rt({ restartCount: 2 }), 2, { Name: 'on-failure', MaximumRetryCount: 3 }), true);
  assert.equal(shouldRestart(rt({ restartCount: 3 }), 2, { Name: 'on-failure', MaximumRetryCount: 3 }), false);
});

test('a manual stop wins over every policy', () => {
  for (const Name of ['always', 'unless-stopped', 'on-failure'] as const)
    assert.equal(shouldRestart(rt({ manuallyStopped: true }), 1, { Name }), false, Name);
});

test("Docker's backoff: 100 ms doubling to one minute, back to 100 ms after a 10 s run", () => {
  const delays: number[] = [];
  let d = 0;
  for (let i = 0; i < 14; i++) delays.push((d = nextRestartDelay(d, 50)));
  assert.deepEqual(delays.slice(0, 6), [100, 200, 400, 800, 1600, 3200]);
  assert.equal(delays.at(-1), BACKOFF_MAX_MS);
  assert.ok(delays.every((x) => x <= BACKOFF_MAX_MS));
  assert.equal(nextRestartDelay(BACKOFF_MAX_MS, RESET_AFTER_MS), 100);
  assert.equal(nextRestartDelay(800, RESET_AFTER_MS - 1), 1600);
});
