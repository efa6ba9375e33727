import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from './mutex.ts';

test('run serialises one key; other keys go at once', async () => {
  const m = new KeyedMutex();
  const order: string[] = [];
  const slow = m.run('a', async () => {
    await new Promise((r) => setTimeout(r, 20));
    order.push('a1');
  });
  const other = m.run('b', async () => {
    order.push('b');
  });
  const next = m.run('a', async () => {
    order.push('a2');
  });
  await Promise.all([slow, other, next]);
  assert.deepEqual(order, ['b', 'a1', 'a2']);
});

test('acquire holds past a call; an aborted waiter throws and passes its place on', async () => {
  const m = new KeyedMutex();
  const release = await m.acquire('k');
  const ac = new AbortController();
  const gaveUp = m.acquire('k', ac.signal);
  let third = false;
  const after = m.acquire('k').then((r) => {
    third = true;
    return r;
  });
  ac.abort();
  await assert.rejects(gaveUp, { name: 'AbortError' });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(third, false, 'still held by the first');
  release();
  release(); // twice is harmless
  (await after)();
  assert.equal(third, true);
});
