import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImagesInUse } from './in-use.ts';

test('an image stays in use until every build holding it lets go', () => {
  const u = new ImagesInUse();
  const a = u.track();
  const b = u.track();
  a.add('sha256:x');
  a.add('sha256:x');
  a.add(undefined);
  b.add('sha256:x');
  b.add('sha256:y');
  assert.ok(u.has('sha256:x') && u.has('sha256:y'));
  a.release();
  assert.ok(u.has('sha256:x'), 'b still holds x');
  b.release();
  assert.ok(!u.has('sha256:x') && !u.has('sha256:y'));
  b.release(); // twice is harmless
  assert.ok(!u.has('sha256:x'));
});
