import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idShift } from './id-mappings.ts';

test('owners translate through the mappings; unmapped container ids are refused, unmapped host ids kept', () => {
  const s = idShift({
    uidMappings: [
      { containerID: 0, hostID: 100000, size: 1000 },
      { containerID: 1000, hostID: 300000, size: 10 },
    ],
    gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }],
  });
  assert.deepEqual(s.toHost(0, 0), [100000, 200000]);
  assert.deepEqual(s.toHost(1005, 7), [300005, 200007]);
  assert.throws(() => s.toHost(2000, 0), /Container ID 2000 cannot be mapped to a host ID/);
  assert.throws(() => s.toHost(0, 70000), /Container GID 70000 cannot be mapped to a host GID/);
  assert.deepEqual(s.toContainer(100005, 200006), [5, 6]);
  assert.deepEqual(s.toContainer(300009, 265535), [1009, 65535]);
  assert.deepEqual(s.toContainer(0, 0), [0, 0]);
});
