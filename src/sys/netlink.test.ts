import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import * as nl from './netlink.ts';
import { netlink, NetlinkError } from './netns.ts';
import { MNT_DETACH, umount2 } from './libc.ts';

const hex = (b: Buffer) => b.toString('hex');

test('attributes are padded to 4 bytes; strings NUL-terminated', () => {
  assert.equal(hex(nl.nlaStr(3, 'eth0')), '0900030065746830' + '00000000');
  assert.equal(hex(nl.nlaU32(4, 1500)), '08000400dc050000');
  assert.equal(hex(nl.nest(18, [nl.nlaU32(1, 1)])), '0c001200' + '0800010001000000');
});

test('a veth request carries the host end, bridge, flags and the peer in its namespace', () => {
  const m = nl.newVeth(7, {
    name: 'vb1',
    mtu: 1400,
    master: 9,
    up: true,
    peer: { name: 'eth0', mtu: 1400, mac: '02:42:ac:11:00:02', nsFd: 21 },
  });
  const [msg] = nl.parseMessages(m);
  assert.equal(msg.type, nl.RTM_NEWLINK);
  assert.equal(msg.seq, 7);
  assert.equal(msg.flags, nl.NLM_F_REQUEST | nl.NLM_F_ACK | nl.NLM_F_CREATE | nl.NLM_F_EXCL);
  assert.equal(m.readUInt32LE(0), m.length);
  const link = nl.parseLink(msg);
  assert.deepEqual(link, { index: 0, flags: nl.IFF_UP, name: 'vb1', mtu: 1400, master: 9 });
  assert.equal(msg.payload.readUInt32LE(12), nl.IFF_UP, 'ifi_change');
  const info = nl.parseAttrs(nl.parseAttrs(msg.payload.subarray(16)).get(18)!);
  assert.equal(info.get(1)!.toString(), 'veth\0');
  const peerMsg = nl.parseAttrs(info.get(2)!).get(1)!;
  assert.equal(peerMsg.readUInt32LE(8), 0, 'the peer is made down: it cannot open before it is paired');
  const peer = nl.parseAttrs(peerMsg.subarray(16));
  assert.equal(peer.get(nl.IFLA_IFNAME)!.toString(), 'eth0\0');
  assert.equal(peer.get(nl.IFLA_MTU)!.readUInt32LE(0), 1400);
  assert.equal(hex(peer.get(1)!), '0242ac110002');
  assert.equal(peer.get(28)!.readUInt32LE(0), 21);
});

test('address and default route requests are what iproute2 sends', () => {
  // ip addr add 172.17.0.2/16 dev <5>
  assert.equal(
    hex(nl.newAddr(1, 5, '172.17.0.2/16')),
    '28000000' +
      '1400' +
      '0506' +
      '01000000' +
      '00000000' +
      '02100000' +
      '05000000' +
      '08000200ac110002' +
      '08000100ac110002',
  );
  // ip route add default via 172.17.0.1 dev <5>
  assert.equal(
    hex(nl.newDefaultRoute(2, 5, '172.17.0.1')),
    '2c000000' +
      '1800' +
      '0506' +
      '02000000' +
      '00000000' +
      '02000000fe030001' +
      '00000000' +
      '08000500ac110001' +
      '0800040005000000',
  );
});

test('bad addresses are refused before anything is sent', () => {
  assert.throws(() => nl.newAddr(1, 1, '10.0.0.256/24'), /not an IPv4 address/);
  assert.throws(() => nl.newAddr(1, 1, '10.0.0.1/33'), /bad prefix length/);
  assert.throws(() => nl.newDefaultRoute(1, 1, 'gw'), /not an IPv4 address/);
  assert.throws(
    () => nl.newVeth(1, { name: 'a', mtu: 1500, peer: { name: 'b', mtu: 1500, mac: '02:42' } }),
    /not a MAC address/,
  );
});

test('answers: several messages per datagram, ACKs, errors with the kernel text, truncation', () => {
  const ack = (seq: number, errno: number, text?: string) => {
    const body = Buffer.alloc(4 + 16);
    body.writeInt32LE(-errno, 0);
    body.writeUInt32LE(44, 4); // the request's header (capped)
    const tlv = text ? nl.nlaStr(1, text) : Buffer.alloc(0);
    const m = nl.message(nl.NLMSG_ERROR, 0x100 | (text ? 0x200 : 0), seq, body, [tlv]);
    return m;
  };
  const link = nl.message(nl.RTM_NEWLINK, 0, 3, nl.ifinfomsg({ index: 42, flags: 1 }), [
    nl.nlaStr(nl.IFLA_IFNAME, 'eth0'),
    nl.nlaU32(nl.IFLA_MTU, 1500),
  ]);
  const buf = Buffer.concat([ack(1, 0), ack(2, 17, 'File exists'), link, Buffer.from([1, 2, 3])]);
  const ms = nl.parseMessages(buf);
  assert.equal(ms.length, 3);
  assert.deepEqual(nl.parseError(ms[0]), { errno: 0 });
  assert.deepEqual(nl.parseError(ms[1]), { errno: 17, text: 'File exists' });
  assert.deepEqual(nl.parseLink(ms[2]), { index: 42, flags: 1, name: 'eth0', mtu: 1500, master: undefined });
  // A length running past the end stops the walk instead of reading garbage.
  const cut = Buffer.from(link.subarray(0, 20));
  assert.deepEqual(nl.parseMessages(cut), []);
  assert.equal(nl.parseAttrs(Buffer.from([200, 0, 3, 0, 1])).size, 0);
});

const root = process.getuid?.() === 0;
const tag = `${process.pid % 100000}`;

test('netlink batches: a namespace with a veth, addresses and a route, made off the main thread', {
  skip: !root && 'needs root',
}, async () => {
  const ns = `/run/netns/berth-nltest-${tag}`;
  const host = `vbnl${tag}`;
  const mainNs = readlinkSync('/proc/thread-self/ns/net');
  try {
    await netlink([
      { op: 'netns', path: ns },
      { op: 'veth', name: host, mtu: 1400, up: true, peer: { name: 'eth0', mtu: 1400, mac: '02:42:0a:fe:01:02', ns } },
      { op: 'up', ns, name: 'lo' },
      { op: 'up', ns, name: 'eth0' },
      { op: 'addr', ns, name: 'eth0', cidr: '10.254.1.2/24' },
      { op: 'route', ns, name: 'eth0', gateway: '10.254.1.1' },
    ]);
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), mainNs, 'the main thread never moves');
    assert.equal(readFileSync(`/sys/class/net/${host}/mtu`, 'utf8').trim(), '1400');
    const name = ns.split('/').pop()!;
    const ip = (...a: string[]) => execFileSync('/usr/sbin/ip', ['-n', name, ...a]).toString();
    assert.match(ip('-o', 'addr', 'show', 'eth0'), /inet 10\.254\.1\.2\/24/);
    assert.match(ip('link', 'show', 'eth0'), /mtu 1400 .*state UP[\s\S]*02:42:0a:fe:01:02/);
    assert.match(ip('link', 'show', 'lo'), /UP/);
    assert.match(ip('route'), /default via 10\.254\.1\.1 dev eth0/);

    // The same name again: EEXIST, typed as a conflict; the batch stops there.
    await assert.rejects(
      netlink([
        { op: 'veth', name: host, mtu: 1500, peer: { name: 'eth1', mtu: 1500, ns } },
        { op: 'up', ns, name: 'nope' },
      ]),
      (e: NetlinkError) =>
        e instanceof NetlinkError && e.code === 'EEXIST' && isKind(e, 'conflict') && /add veth/.test(e.message),
    );
    // A gateway outside every subnet: the kernel's own words come back.
    await assert.rejects(
      netlink([{ op: 'route', ns, name: 'eth0', gateway: '10.9.9.9' }]),
      /ENETUNREACH.*\(Nexthop has invalid gateway\)/,
    );
    await assert.rejects(netlink([{ op: 'up', ns, name: 'eth9' }]), (e: NetlinkError) => e.code === 'ENODEV');
    await assert.rejects(
      netlink([
        { op: 'veth', name: `${host}x`, mtu: 1500, master: 'no-such-br', peer: { name: 'eth1', mtu: 1500, ns } },
      ]),
      /find link no-such-br: ENODEV/,
    );
    // Deleting the namespace's end takes the host end with it; missing links are fine when asked.
    await netlink([
      { op: 'del', ns, name: 'eth0' },
      { op: 'del', name: host, missingOk: true },
    ]);
    assert.ok(!existsSync(`/sys/class/net/${host}`));
    await assert.rejects(netlink([{ op: 'del', name: host }]), (e: NetlinkError) => e.code === 'ENODEV');
  } finally {
    try {
      umount2(ns, MNT_DETACH);
    } catch {
      /* not made */
    }
    rmSync(ns, { force: true });
    try {
      execFileSync('/usr/sbin/ip', ['link', 'del', host], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  }
});

test('a namespace that cannot be made leaves no file behind', { skip: !root && 'needs root' }, async () => {
  const ns = `/run/netns/berth-nltest2-${tag}`;
  await netlink([{ op: 'netns', path: ns }]);
  try {
    await assert.rejects(netlink([{ op: 'netns', path: ns }]), (e: NetlinkError) => e.code === 'EEXIST');
    assert.ok(existsSync(ns), 'the existing one is untouched');
  } finally {
    umount2(ns, MNT_DETACH);
    rmSync(ns);
  }
  await assert.rejects(netlink([{ op: 'netns', path: '/proc/version/x' }]));
  // The worker survives failed batches.
  await netlink([{ op: 'del', name: `vbnl${tag}none`, missingOk: true }]);
});
