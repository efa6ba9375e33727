import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickGateways, type GatewayCandidate } from './gateway.ts';

const net = (network: string, o: Partial<GatewayCandidate> = {}): GatewayCandidate => ({
  network,
  priority: 0,
  internal: false,
  v4: !o.internal,
  v6: false,
  ...o,
});

test('equal priorities: the first non-internal network in lexical order, as Docker', () => {
  assert.deepEqual(pickGateways([net('zeta'), net('alpha')]), { v4: 1, v6: undefined });
  assert.deepEqual(pickGateways([net('alpha', { internal: true }), net('zeta')]), { v4: 1, v6: undefined });
});

test('GwPriority first, highest wins; a negative one yields to the default 0', () => {
  assert.deepEqual(pickGateways([net('alpha'), net('zeta', { priority: 10 })]).v4, 1);
  assert.deepEqual(pickGateways([net('alpha', { priority: -1 }), net('zeta')]).v4, 1);
});

test('dual-stack before IPv4-only; the IPv6 route from the first network that has IPv6', () => {
  assert.deepEqual(pickGateways([net('alpha'), net('zeta', { v6: true })]), { v4: 1, v6: 1 });
  assert.deepEqual(pickGateways([net('alpha', { priority: 5 }), net('zeta', { v6: true })]), { v4: 0, v6: 1 });
});

test('only internal networks: no default route at all', () => {
  assert.deepEqual(pickGateways([net('a', { internal: true }), net('b', { internal: true })]), {
    v4: undefined,
    v6: undefined,
  });
  assert.deepEqual(pickGateways([]), { v4: undefined, v6: undefined });
});
