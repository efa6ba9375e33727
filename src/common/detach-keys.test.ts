import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachMatcher, parseDetachKeys } from './detach-keys.ts';

test('detach key specs as Docker parses them', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,a,ctrl-[')], [0, 97, 27]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys/);
  assert.throws(() => parseDetachKeys('shift-a'), /Invalid detach keys/);
});

test('the matcher swallows the sequence, across chunks, and releases a partial match', () => {
  const m = new DetachMatcher(Buffer.from([16, 17]));
  assert.deepEqual(m.feed(Buffer.from('ab')), { out: Buffer.from('ab'), detached: false });
  assert.deepEqual(m.feed(Buffer.from([0x61, 16])), { out: Buffer.from('a'), detached: false });
  assert.deepEqual(m.feed(Buffer.from([0x62])), { out: Buffer.from([16, 0x62]), detached: false });
  assert.deepEqual(m.feed(Buffer.from([16, 16])), { out: Buffer.from([16]), detached: false });
  assert.deepEqual(m.feed(Buffer.from([17, 0x63])), { out: Buffer.from([]), detached: true });
});
