import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CgroupLimits } from '../../oci/cgroup-limits.ts';
import { parseCpuList, verifyResources, verifyUnified } from './resources.ts';
import { isMacAddress } from './validate-settings.ts';
import { mergeUpdate } from './update.ts';

const v1: CgroupLimits = {
  version: 1,
  memoryLimit: true,
  swapLimit: true,
  memoryReservation: true,
  memorySwappiness: true,
  oomKillDisable: true,
  kernelMemory: true,
  pidsLimit: true,
  cpuShares: true,
  cpuCfs: true,
  cpuRealtime: true,
  cpuset: true,
  cpus: '0-3',
  mems: '0',
  blkioWeight: false,
  blkioWeightDevice: false,
  blkioReadBpsDevice: true,
  blkioWriteBpsDevice: true,
  blkioReadIOpsDevice: true,
  blkioWriteIOpsDevice: true,
  cgroupNamespaces: true,
  controllers: [],
  numCpus: 4,
};

test('cpuset lists parse as Docker parses them', () => {
  assert.deepEqual([...parseCpuList('0-2,5,1')].sort(), [0, 1, 2, 5]);
  assert.throws(() => parseCpuList('3-1'), /invalid format: 3-1/);
  assert.throws(() => parseCpuList('a'), /invalid format/);
  assert.throws(() => parseCpuList('0-9223372036854775807'), /value of out range, maximum is 8192/);
});

test('verifyResources refuses, drops with a warning, or keeps', () => {
  assert.throws(() => verifyResources({ Memory: 5 }, v1, false), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => verifyResources({ NanoCpus: 5e9 }, v1, false), /only 4 CPUs available/);
  assert.throws(() => verifyResources({ CpusetCpus: '4' }, v1, false), /requested 4, available: 0-3/);
  const r = { BlkioWeight: 300, BlkioWeightDevice: [{ Path: '/dev/x', Weight: 100 }], MemorySwappiness: -1 };
  const w = verifyResources(r, v1, false);
  assert.equal(r.BlkioWeight, 0);
  assert.deepEqual(r.BlkioWeightDevice, []);
  assert.equal(r.MemorySwappiness, null);
  assert.equal(w.length, 2);
  const noSwap = { Memory: 64 << 20 } as { Memory: number; MemorySwap?: number };
  assert.match(verifyResources(noSwap, { ...v1, swapLimit: false }, false)[0], /Memory limited without swap/);
  assert.equal(noSwap.MemorySwap, -1);
  // update may set swap alone (the memory limit is already there)
  assert.deepEqual(verifyResources({ MemorySwap: 100 << 20 }, v1, true), []);
});

test('unified (cgroup v2) files: refused on a v1 host, checked as runc checks them on v2', () => {
  verifyUnified(undefined, v1);
  verifyUnified({}, v1);
  assert.throws(
    () => verifyResources({ Unified: { 'memory.swap.max': '0' } }, v1, false),
    /unified resources \(memory\.swap\.max\) are cgroup v2 files: this host's cgroups are v1/,
  );
  const v2: CgroupLimits = { ...v1, version: 2, controllers: ['cpu', 'memory', 'pids'] };
  verifyUnified({ 'memory.swap.max': '0', 'memory.high': '104857600', 'cgroup.freeze': '0' }, v2);
  assert.throws(() => verifyUnified({ '../memory.max': '1' }, v2), /must be a cgroup file name/);
  assert.throws(() => verifyUnified({ 'memory/max': '1' }, v2), /must be a cgroup file name/);
  assert.throws(() => verifyUnified({ memory: '1' }, v2), /must be a cgroup file name/);
  assert.throws(() => verifyUnified({ 'hugetlb.2MB.max': '1' }, v2), /controller "hugetlb" is not available/);
  assert.throws(() => verifyUnified({ 'memory.max': '1\nmax' }, v2), /a single line/);
});

test('MAC addresses as Go parses them', () => {
  assert.ok(isMacAddress('02:42:ac:11:00:02'));
  assert.ok(isMacAddress('02-42-AC-11-00-02'));
  assert.ok(isMacAddress('0242.ac11.0002'));
  assert.ok(!isMacAddress('zz:zz'));
  assert.ok(!isMacAddress('02:42:ac:11:00'));
  assert.ok(!isMacAddress('02:42-ac:11:00:02'));
});

test('an update merges unified files into the recorded ones', () => {
  const next = mergeUpdate(
    { Unified: { 'memory.high': '1', 'memory.swap.max': '0' } },
    { Unified: { 'memory.high': 'max' } },
  );
  assert.deepEqual(next.Unified, { 'memory.high': 'max', 'memory.swap.max': '0' });
  assert.deepEqual(mergeUpdate({ Unified: { 'pids.max': '5' } }, { CpuShares: 2 }).Unified, { 'pids.max': '5' });
});
