import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUser } from './user.ts';

const passwd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# comment
app:x:1000:1000:App:/home/app:/bin/sh
`;
const group = `root:x:0:
daemon:x:1:
wheel:x:10:app,other
audio:x:29:app
app:x:1000:
staff:x:50:
`;

test("default user is root with root's groups", () => {
  assert.deepEqual(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
});

test('name and uid resolve to the passwd entry with supplementary groups', () => {
  const want = { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app' };
  assert.deepEqual(resolveUser('app', passwd, group), want);
  assert.deepEqual(resolveUser('1000', passwd, group), want);
});

test('unknown numeric uid is used as is with gid 0', () => {
  assert.deepEqual(resolveUser('4242', passwd, group), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUser('4242:4343', undefined, undefined), {
    uid: 4242,
    gid: 4343,
    additionalGids: [],
    home: '/',
  });
});

test('explicit group: by name or id, no supplementary groups', () => {
  assert.deepEqual(resolveUser('app:staff', passwd, group), {
    uid: 1000,
    gid: 50,
    additionalGids: [],
    home: '/home/app',
  });
  assert.deepEqual(resolveUser('app:77', passwd, group), { uid: 1000, gid: 77, additionalGids: [], home: '/home/app' });
  assert.deepEqual(resolveUser('daemon:wheel', passwd, group).gid, 10);
});

test("Docker's messages for unknown names", () => {
  assert.throws(() => resolveUser('nobody', passwd, group), {
    message: 'unable to find user nobody: no matching entries in passwd file',
  });
  assert.throws(() => resolveUser('app:nogroup', passwd, group), {
    message: 'unable to find group nogroup: no matching entries in group file',
  });
  assert.throws(
    () => resolveUser('x', undefined, undefined),
    (e: Error & { kind?: string }) => e.kind === 'invalid-argument',
  );
  assert.throws(() => resolveUser('4294967296', passwd, group), /range/);
});

test('group-add', () => {
  assert.deepEqual(resolveUser('app', passwd, group, ['staff', '99', '10']).additionalGids, [10, 29, 50, 99]);
});
