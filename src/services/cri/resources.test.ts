import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criResources, hostConfigResources } from './resources.ts';

const none = {
  cpu_period: '0',
  cpu_quota: '0',
  cpu_shares: '0',
  memory_limit_in_bytes: '0',
  oom_score_adj: '0',
  cpuset_cpus: '',
  cpuset_mems: '',
  hugepage_limits: [],
  unified: {},
  memory_swap_limit_in_bytes: '0',
};

test("the CRI's resources become the engine's, unified files included, and read back", () => {
  const hc = hostConfigResources({
    ...none,
    memory_limit_in_bytes: String(64 << 20),
    cpu_shares: '256',
    unified: { 'memory.swap.max': '0' },
  });
  assert.deepEqual(hc, { Memory: 64 << 20, CpuShares: 256, Unified: { 'memory.swap.max': '0' } });
  const back = criResources(hc);
  assert.deepEqual(back.unified, { 'memory.swap.max': '0' });
  assert.equal(back.memory_limit_in_bytes, String(64 << 20));
  assert.deepEqual(hostConfigResources(none), {});
  assert.throws(
    () => hostConfigResources({ ...none, hugepage_limits: [{ page_size: '2MB', limit: '1' }] }),
    /hugepage limits/,
  );
});
