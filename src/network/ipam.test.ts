import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, parseIp, parseSubnet, overlaps, macFor, ptrName } from './ipv4.ts';
import { allocate } from './ipam.ts';
import { renderTable } from './firewall.ts';

test('subnets: parse, host bits, overlap', () => {
  assert.deepEqual(parseSubnet('10.1.0.0/16'), { base: parseIp('10.1.0.0'), prefix: 16 });
  assert.throws(() => parseSubnet('10.1.0.1/16'), /invalid subnet 10\.1\.0\.1\/16: it should be 10\.1\.0\.0\/16/);
  assert.throws(() => parseSubnet('10.1.0.0/33'), /invalid CIDR address/);
  assert.throws(() => parseSubnet('foo'), /invalid CIDR address: foo/);
  assert.ok(overlaps(parseSubnet('10.0.0.0/8'), parseSubnet('10.2.3.0/24')));
  assert.ok(!overlaps(parseSubnet('10.1.0.0/16'), parseSubnet('10.2.0.0/16')));
  assert.equal(macFor(parseIp('172.17.0.2')!), '02:42:ac:11:00:02');
  assert.equal(ptrName(parseIp('172.17.0.2')!), '2.0.17.172.in-addr.arpa');
});

test('allocation: skips gateway and used, round-robins, static conflicts', () => {
  const subnet = parseSubnet('10.9.0.0/29');
  const pool = { subnet, range: subnet, gateway: parseIp('10.9.0.1')! };
  const used = new Set<number>();
  const got: string[] = [];
  let last = 0;
  for (let i = 0; i < 5; i++) {
    last = allocate(pool, used, last);
    used.add(last);
    got.push(formatIp(last));
  }
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  assert.throws(() => allocate(pool, used, last), /no available IPv4 addresses/);
  used.delete(parseIp('10.9.0.3')!);
  assert.equal(formatIp(allocate(pool, used, last)), '10.9.0.3');
  assert.throws(() => allocate(pool, used, 0, '10.9.0.2'), /Address already in use/);
  assert.throws(
    () => allocate(pool, used, 0, '10.8.0.2'),
    /no configured subnet or ip-range contain the IP address 10\.8\.0\.2/,
  );
});

test('firewall: our table only, replaced atomically, ports as map elements', () => {
  const t = renderTable('berth-x', {
    masquerade: true,
    networks: [{ bridge: 'bx', subnet: '10.9.0.0/24', internal: false, icc: false }],
    ports: [
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, ip: '10.9.0.2' },
      { proto: 'udp', hostIp: '127.0.0.1', hostPort: 53, containerPort: 53, ip: '10.9.0.2' },
    ],
  });
  assert.match(t, /^table ip berth-x\ndelete table ip berth-x\ntable ip berth-x \{/);
  assert.ok(!/flush ruleset|table (ip|bridge) (?!berth-x)/.test(t));
  assert.match(t, /table bridge berth-x \{[^}]*ip saddr 10\.9\.0\.0\/24 ip daddr 10\.9\.0\.0\/24 drop/);
  assert.match(t, /elements = \{ tcp \. 8080 : 10\.9\.0\.2 \. 80 \}/);
  assert.match(t, /elements = \{ 127\.0\.0\.1 \. udp \. 53 : 10\.9\.0\.2 \. 53 \}/);
  assert.match(t, /ip saddr 10\.9\.0\.0\/24 oifname != "bx" masquerade/);
  assert.match(t, /iifname "bx" oifname "bx" drop/);
});
