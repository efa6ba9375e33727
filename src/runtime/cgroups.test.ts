import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlkioV1, parseFlatKeyed, parseIoStatV2 } from './cgroups.ts';

test('cgroup file parsers (v1 and v2 shapes)', () => {
  assert.deepEqual(parseFlatKeyed('user 12\nsystem 3\nbad x\n'), { user: 12, system: 3 });
  assert.deepEqual(parseBlkioV1('8:0 Read 4096\n8:0 Write 0\nTotal 4096\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 0 },
  ]);
  const v2 = parseIoStatV2('259:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
  assert.deepEqual(
    v2.serviceBytes.map((e) => [e.op, e.value]),
    [
      ['read', 10],
      ['write', 20],
    ],
  );
  assert.deepEqual(
    v2.serviced.map((e) => [e.op, e.value]),
    [
      ['read', 1],
      ['write', 2],
    ],
  );
});
