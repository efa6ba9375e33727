import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRemap, mappingOf, nextFreeStart, parseSubIds } from './userns-remap.ts';

test('subordinate ranges: parsed, laid end to end from 0, and the next free 65536 found as dockerd', () => {
  const r = parseSubIds('# c\nalice:100000:65536\nbob:165536:1000\n1001:300000:10\nbad:x:1\nalice:400000:5\n');
  assert.deepEqual(mappingOf(r, 'alice', 1000), [
    { containerID: 0, hostID: 100000, size: 65536 },
    { containerID: 65536, hostID: 400000, size: 5 },
  ]);
  assert.deepEqual(mappingOf(r, 'carol', 1001), [{ containerID: 0, hostID: 300000, size: 10 }]);
  assert.equal(nextFreeStart([]), 100000);
  assert.equal(nextFreeStart(r), 166536);
  assert.equal(nextFreeStart(parseSubIds('x:300000:10\n')), 100000);
});

test('user[:group] names existing ranges; missing users, groups or ranges are refused by name', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-remap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = {
    passwd: join(dir, 'passwd'),
    group: join(dir, 'group'),
    subuid: join(dir, 'subuid'),
    subgid: join(dir, 'subgid'),
  };
  await writeFile(
    files.passwd,
    'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\nbob:x:1001:1001::/h:/bin/sh\n',
  );
  await writeFile(files.group, 'root:x:0:\nalice:x:1000:\nstaff:x:50:\n');
  await writeFile(files.subuid, 'alice:200000:65536\n');
  await writeFile(files.subgid, 'alice:300000:65536\nstaff:400000:1000\n');
  assert.equal(await loadRemap('', files), undefined);
  const a = await loadRemap('alice', files);
  assert.deepEqual(a?.root, { uid: 200000, gid: 300000 });
  assert.equal(a?.group, 'alice');
  const b = await loadRemap('1000:staff', files);
  assert.deepEqual(b?.root, { uid: 200000, gid: 400000 });
  assert.deepEqual(b?.gidMap, [{ containerID: 0, hostID: 400000, size: 1000 }]);
  await assert.rejects(loadRemap('a:b:c', files), /Invalid user\/group specification in --userns-remap/);
  await assert.rejects(loadRemap('nobody', files), /user "nobody" has no entry/);
  await assert.rejects(loadRemap('bob', files), /group "bob" has no entry/);
  await assert.rejects(loadRemap('bob:alice', files), /No subuid ranges found for user "bob"/);
  await assert.rejects(loadRemap('alice:root', files), /No subgid ranges found for group "root"/);
});
