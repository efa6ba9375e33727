import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMonitorLine } from './nft-monitor.ts';

test('nft -j monitor lines: table, chain and rule changes with family and table', () => {
  assert.deepEqual(parseMonitorLine('{"add": {"table": {"family": "ip", "name": "filter", "handle": 1}}}'), {
    verb: 'add',
    object: 'table',
    family: 'ip',
    table: 'filter',
  });
  assert.deepEqual(
    parseMonitorLine(
      '{"delete": {"rule": {"family": "ip6", "table": "filter", "chain": "DOCKER-USER", "handle": 4, "expr": []}}}',
    ),
    { verb: 'delete', object: 'rule', family: 'ip6', table: 'filter' },
  );
  assert.equal(parseMonitorLine('# new generation 12 by process 77 (iptables-nft-re)'), undefined);
  assert.equal(parseMonitorLine('{"add": {"table": {"name": "x"}}}'), undefined);
  assert.equal(parseMonitorLine('{not json'), undefined);
});
