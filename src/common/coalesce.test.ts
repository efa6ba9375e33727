import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesced } from './coalesce.ts';

test('calls during a run share one run after it; never two at once', async () => {
  let active = 0;
  let runs = 0;
  let max = 0;
  const gates: (() => void)[] = [];
  const run = coalesced(async () => {
    active++;
    runs++;
    max = Math.max(max, active);
    await new Promise<void>((r) => gates.push(r));
    active--;
  });
  const a = run();
  const b = run();
  const c = run();
  assert.equal(runs, 1);
  gates.shift()!();
  await a;
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2);
  gates.shift()!();
  await Promise.all([b, c]);
  assert.equal(runs, 2);
  assert.equal(max, 1);
});

test('a failed run rejects its callers but not the queued run', async () => {
  let n = 0;
  const run = coalesced(async () => {
    n++;
    await new Promise((r) => setImmediate(r));
    if (n === 1) throw new Error('first fails');
  });
  const a = run();
  const b = run();
  await assert.rejects(a, /first fails/);
  await b;
  assert.equal(n, 2);
});
