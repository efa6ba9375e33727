import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devicesFromHostConfig, resourcesFromHostConfig, updateResources, type DeviceLookup } from './resources.ts';
import { parseDeviceCgroupRule } from '../oci/device-rules.ts';

const host: DeviceLookup = {
  blockDevice: () => ({ major: 8, minor: 0 }),
  devices: (p) =>
    p === '/dev/snd'
      ? [
          { path: '/dev/snd/a', type: 'c', major: 116, minor: 1, fileMode: 0o660, uid: 0, gid: 29 },
          { path: '/dev/snd/b', type: 'c', major: 116, minor: 2, fileMode: 0o660, uid: 0, gid: 29 },
        ]
      : [{ path: p, type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
};

test('HostConfig resources become the spec’s linux.resources', () => {
  const r = resourcesFromHostConfig(
    {
      Memory: 64 << 20,
      MemorySwap: -1,
      MemorySwappiness: 0,
      OomKillDisable: true,
      NanoCpus: 1.5e9,
      CpuShares: 512,
      CpusetCpus: '0',
      PidsLimit: 10,
      BlkioDeviceWriteBps: [{ Path: '/dev/sda', Rate: 1024 }],
    },
    host,
  );
  assert.deepEqual(r.memory, { limit: 64 << 20, swap: -1, swappiness: 0, disableOOMKiller: true });
  assert.deepEqual(r.cpu, { shares: 512, cpus: '0', period: 100000, quota: 150000 });
  assert.deepEqual(r.pids, { limit: 10 });
  assert.deepEqual(r.blockIO, { throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 1024 }] });
  assert.deepEqual(resourcesFromHostConfig({ PidsLimit: -1, MemorySwappiness: null, OomKillDisable: false }, host), {});
});

test('devices map nodes (a directory maps each) and rules follow', () => {
  const { devices, rules } = devicesFromHostConfig(
    {
      Devices: [
        { PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' },
        { PathOnHost: '/dev/snd', PathInContainer: '/dev/sound', CgroupPermissions: 'rwm' },
      ],
      DeviceCgroupRules: ['c 42:* rm'],
    },
    host,
  );
  assert.deepEqual(
    devices.map((d) => d.path),
    ['/dev/mynull', '/dev/sound/a', '/dev/sound/b'],
  );
  assert.deepEqual(rules[0], { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
  assert.deepEqual(rules.at(-1), { allow: true, type: 'c', major: 42, access: 'rm' });
  assert.throws(() => parseDeviceCgroupRule('c 1:1  rwm'), /invalid device cgroup rule format/);
});

test('unified (cgroup v2) files pass to linux.resources.unified at create and update', () => {
  const u = { 'memory.swap.max': '0', 'memory.high': '104857600' };
  assert.deepEqual(resourcesFromHostConfig({ Memory: 64 << 20, Unified: u }, host).unified, u);
  assert.equal(resourcesFromHostConfig({ Unified: {} }, host).unified, undefined);
  assert.deepEqual(updateResources({ Unified: { 'memory.high': 'max' } }), { unified: { 'memory.high': 'max' } });
  assert.deepEqual(updateResources({ CpuShares: 2 }), { cpu: { shares: 2 } });
});
