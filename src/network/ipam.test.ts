import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, formatAddr, formatCidr, macFor, overlaps, parseAddr, parseCidr, ptrName, ulaBase } from './cidr.ts';
import { allocate, type Pool } from './ipam.ts';
import { renderTable } from './firewall.ts';
import { proxiesFor } from './port-proxy.ts';

const v = (s: string) => parseAddr(s)!.value;
const pool = (subnet: string, reserved: string[] = [], range?: string): Pool => ({
  subnet: parseCidr(subnet),
  range: parseCidr(range ?? subnet),
  reserved: new Set(reserved.map(v)),
});

test('subnets: parse, host bits, overlap, both families', () => {
  assert.deepEqual(parseCidr('10.1.0.0/16'), { family: 4, base: v('10.1.0.0'), prefix: 16 });
  assert.throws(() => parseCidr('10.1.0.1/16'), /invalid subnet 10\.1\.0\.1\/16: it should be 10\.1\.0\.0\/16/);
  assert.throws(() => parseCidr('10.1.0.0/33'), /invalid CIDR address/);
  assert.throws(() => parseCidr('foo'), /invalid CIDR address: foo/);
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.2.3.0/24')));
  assert.ok(!overlaps(parseCidr('10.1.0.0/16'), parseCidr('10.2.0.0/16')));
  assert.equal(formatCidr(parseCidr('fd00:0:0:1::/64')), 'fd00:0:0:1::/64');
  assert.throws(() => parseCidr('fd00::1/64'), /it should be fd00::\/64/);
  assert.ok(overlaps(parseCidr('fd00::/48'), parseCidr('fd00:0:0:5::/64')));
  assert.ok(!overlaps(parseCidr('fd00::/64'), parseCidr('10.0.0.0/8')));
  assert.equal(macFor(parseAddr('172.17.0.2')!), '02:42:ac:11:00:02');
  assert.equal(ptrName(parseAddr('172.17.0.2')!), '2.0.17.172.in-addr.arpa');
  assert.equal(ptrName(parseAddr('fd00::2')!), `2.${'0.'.repeat(29)}d.f.ip6.arpa`);
});

test('IPv6 text: canonical form (RFC 5952), embedded IPv4, bad input', () => {
  assert.equal(canonical('FD00:0000:0000:0000:0000:0000:0000:0001'), 'fd00::1');
  assert.equal(canonical('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonical('::'), '::');
  assert.equal(canonical('::ffff:1.2.3.4'), '::ffff:102:304');
  assert.equal(canonical('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  for (const bad of ['1:2:3:4:5:6:7:8:9', 'fd00:::1', 'fd00::1::2', 'g::1', '12345::1', '1.2.3', '1.2.3.256'])
    assert.equal(parseAddr(bad), undefined, bad);
  assert.equal(formatAddr({ family: 4, value: v('10.0.0.255') }), '10.0.0.255');
  const ula = ulaBase('0123456789abcdef');
  assert.equal(formatCidr(ula), 'fd01:2345:6789::/48');
});

test('allocation: skips gateway, aux and used; round-robins; static conflicts', () => {
  const p = pool('10.9.0.0/29', ['10.9.0.1', '10.9.0.4']);
  const used = new Set<bigint>();
  const got: string[] = [];
  let last = 0n;
  for (let i = 0; i < 4; i++) {
    last = allocate(p, used, last);
    used.add(last);
    got.push(formatAddr({ family: 4, value: last }));
  }
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.5', '10.9.0.6']);
  assert.throws(() => allocate(p, used, last), /no available IPv4 addresses/);
  used.delete(v('10.9.0.3'));
  assert.equal(allocate(p, used, last), v('10.9.0.3'));
  assert.throws(() => allocate(p, used, 0n, '10.9.0.2'), /Address already in use/);
  assert.throws(() => allocate(p, used, 0n, '10.9.0.4'), /Address already in use/);
  assert.throws(
    () => allocate(p, used, 0n, '10.8.0.2'),
    /no configured subnet or ip-range contain the IP address 10\.8\.0\.2/,
  );
  assert.throws(() => allocate(p, used, 0n, 'fd00::2'), /invalid IPv4 address/);
});

test('IPv6 allocation: sequential from ::2 in a /64, bounded by what is used, ranges', () => {
  const p = pool('fd00:1::/64', ['fd00:1::1']);
  const used = new Set<bigint>();
  let last = 0n;
  for (let i = 0; i < 3; i++) used.add((last = allocate(p, used, last)));
  assert.deepEqual(
    [...used].map((x) => formatAddr({ family: 6, value: x })),
    ['fd00:1::2', 'fd00:1::3', 'fd00:1::4'],
  );
  // The last address of an IPv6 subnet is a host's (no broadcast).
  const small = pool('fd00:2::/126', ['fd00:2::1']);
  const s = new Set<bigint>();
  let l = 0n;
  for (let i = 0; i < 2; i++) s.add((l = allocate(small, s, l)));
  assert.ok(s.has(v('fd00:2::3')));
  assert.throws(
    () => allocate(small, s, l),
    /no available IPv6 addresses on this network's address pools: fd00:2::\/126/,
  );
  const ranged = pool('fd00:3::/64', ['fd00:3::1'], 'fd00:3::100/120');
  assert.equal(formatAddr({ family: 6, value: allocate(ranged, new Set(), 0n) }), 'fd00:3::100');
  assert.equal(allocate(ranged, new Set(), 0n, 'fd00:3::5'), v('fd00:3::5'));
});

test('firewall: our tables only, replaced atomically, ports as map elements, NAT66 per network', () => {
  const t = renderTable('berth-x', {
    networks: [
      {
        bridge: 'bx',
        subnet: '10.9.0.0/24',
        internal: false,
        icc: false,
        masq4: true,
        masq6: false,
        subnet6: 'fd00:9::/64',
      },
      {
        bridge: 'by',
        subnet: '10.8.0.0/24',
        internal: false,
        icc: true,
        masq4: true,
        masq6: true,
        subnet6: 'fd00:8::/64',
      },
    ],
    ports: [
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, ip: '10.9.0.2', ip6: 'fd00:9::2' },
      { proto: 'udp', hostIp: '127.0.0.1', hostPort: 53, containerPort: 53, ip: '10.9.0.2' },
      { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8081, containerPort: 81, ip: '10.9.0.3', ip6: 'fd00:9::3' },
      { proto: 'tcp', hostIp: 'fd00:9::1', hostPort: 8082, containerPort: 82, ip: '10.9.0.3', ip6: 'fd00:9::3' },
    ],
  });
  assert.match(t, /^table ip berth-x\ndelete table ip berth-x\ntable ip berth-x \{/);
  assert.match(t, /\ntable ip6 berth-x\ndelete table ip6 berth-x\ntable ip6 berth-x \{/);
  assert.ok(!/flush ruleset|table (ip|ip6|bridge) (?!berth-x)/.test(t));
  assert.match(t, /table bridge berth-x \{[^}]*ip saddr 10\.9\.0\.0\/24 ip daddr 10\.9\.0\.0\/24 drop/);
  assert.match(t, /ip6 saddr fd00:9::\/64 ip6 daddr fd00:9::\/64 drop/);
  assert.match(t, /elements = \{ tcp \. 8080 : 10\.9\.0\.2 \. 80, tcp \. 8081 : 10\.9\.0\.3 \. 81 \}/);
  assert.match(t, /elements = \{ tcp \. 8080 : fd00:9::2 \. 80 \}/, '0.0.0.0 is IPv4 only');
  assert.match(t, /elements = \{ fd00:9::1 \. tcp \. 8082 : fd00:9::3 \. 82 \}/);
  assert.match(t, /elements = \{ 127\.0\.0\.1 \. udp \. 53 : 10\.9\.0\.2 \. 53 \}/);
  assert.match(t, /ip saddr 10\.9\.0\.0\/24 oifname != "bx" masquerade/);
  assert.doesNotMatch(t, /ip6 saddr fd00:9::\/64 oifname != "bx" masquerade/, 'NAT66 is off by default');
  assert.match(t, /ip6 saddr fd00:8::\/64 oifname != "by" masquerade/);
  assert.match(t, /ip6 daddr != ::1 fib daddr type local dnat ip6 to/);
  assert.match(t, /iifname "bx" oifname "bx" drop/);
});

test('port relays: [::1] for IPv6 containers, every IPv6 address for IPv4-only ones', () => {
  const base = { container: 'c', network: 'n', names: [], mac: '', ifname: 'eth0', hostIf: '', netns: '', created: '' };
  const specs = proxiesFor([
    {
      ...base,
      ip: '10.0.0.2',
      ip6: 'fd00::2',
      ports: [
        { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 },
        { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8081, containerPort: 80 },
      ],
    },
    { ...base, ip: '10.0.0.3', ports: [{ proto: 'udp', hostIp: '', hostPort: 5353, containerPort: 53 }] },
  ]);
  assert.deepEqual(specs, [
    { proto: 'tcp', port: 8080, targetPort: 80, listenIp: '::1', targetIp: 'fd00::2' },
    { proto: 'udp', port: 5353, targetPort: 53, listenIp: '::', targetIp: '10.0.0.3' },
  ]);
});
