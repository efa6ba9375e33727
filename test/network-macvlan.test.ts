// Issue 12, networks: the macvlan and ipvlan drivers, on a parent interface inside a network
// namespace this test makes (berthd runs in it, so the parent, the links it makes and every
// address stay there). The parent is one end of a veth pair: this kernel has no dummy
// links (nor ipvlan, nor 802.1Q); where the kernel lacks a driver the test checks that
// berthd refuses it with a clear message instead. Checked through the docker CLI and from
// inside the containers: link kind and mode, addresses, reachability between containers,
// the internal network Docker makes when no parent is given, VLAN sub-interfaces made and
// removed with their network, and Docker's refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { isRoot, hasDockerCli, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { deleteNetns, inNetns, makeNetns } from './helpers/netns.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let ns = '';
let d: TestDaemon;
before(() => {
  if (skip) return;
  ns = makeNetns('bmv');
  inNetns(ns, '/usr/sbin/ip', ['link', 'add', 'dpar0', 'type', 'veth', 'peer', 'name', 'dpar0p']);
  for (const l of ['dpar0', 'dpar0p']) inNetns(ns, '/usr/sbin/ip', ['link', 'set', l, 'up']);
});

/** Whether the kernel makes this link kind (asked in the test namespace, then undone). */
function kernelHas(args: string[]): boolean {
  try {
    inNetns(ns, '/usr/sbin/ip', ['link', 'add', ...args]);
    inNetns(ns, '/usr/sbin/ip', ['link', 'del', args[args.indexOf('name') + 1]]);
    return true;
  } catch {
    return false;
  }
}
useDaemon((x) => (d = x), {
  get netns() {
    return ns;
  },
});
after(() => {
  if (ns) deleteNetns(ns);
});

const ok = async (...args: string[]) => {
  const r = await runCli('docker', d, args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.logs().slice(-1500)}`);
  return r.stdout.trim();
};
const fails = async (...args: string[]) => {
  const r = await runCli('docker', d, args);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail`);
  return r.stderr.trim();
};
const links = () => inNetns(ns, '/usr/sbin/ip', ['-o', 'link', 'show']);
/** `ip -d link show eth0` in a container's network namespace, with the host's iproute2 (busybox's has no -d). */
const linkDetail = async (name: string) => {
  const key = await ok('inspect', '-f', '{{.NetworkSettings.SandboxKey}}', name);
  return execFileSync('nsenter', [`--net=${key}`, '--', '/usr/sbin/ip', '-d', 'link', 'show', 'eth0']).toString();
};

test('macvlan on a parent link: bridge mode, addresses, containers reach each other', { skip }, async () => {
  await ok('network', 'create', '-d', 'macvlan', '-o', 'parent=dpar0', '--subnet', '192.168.77.0/24', 'mv');
  const n = JSON.parse(await ok('network', 'inspect', 'mv'))[0];
  assert.equal(n.Driver, 'macvlan');
  assert.equal(n.Options.parent, 'dpar0');
  await ok('run', '-d', '--name', 'm1', '--network', 'mv', '--ip', '192.168.77.10', 'busybox', 'sleep', '1d');
  await ok(
    'run',
    '-d',
    '--name',
    'm2',
    '--network',
    'mv',
    '--mac-address',
    '02:00:00:00:77:02',
    'busybox',
    'sleep',
    '1d',
  );
  const detail = await linkDetail('m1');
  assert.match(detail, /macvlan mode bridge/);
  const m2 = await ok('exec', 'm2', 'sh', '-c', 'cat /sys/class/net/eth0/address; ip -4 -o addr show eth0; ip route');
  assert.match(m2, /^02:00:00:00:77:02\n/);
  assert.match(m2, /inet 192\.168\.77\.11\/24/, 'the next address after the last handed out (.10)');
  assert.match(m2, /default via 192\.168\.77\.1 dev eth0/);
  assert.match(await ok('exec', 'm2', 'ping', '-c', '1', '-W', '2', '192.168.77.10'), /1 packets received/);
  // Nothing of the containers' is left on the host side but the parent.
  assert.doesNotMatch(links(), /^\d+: (?!dpar0p)[^:]+@dpar0:/m);
  assert.match(
    await fails('run', '--rm', '--network', 'mv', '-p', '8080:80', 'busybox', 'true'),
    /cannot be published on a macvlan network/,
  );
  assert.match(
    await fails('network', 'create', '-d', 'macvlan', '-o', 'parent=dpar0', '--subnet', '192.168.78.0/24', 'mv2'),
    /already using parent interface dpar0/,
  );
  assert.match(
    await fails('network', 'create', '-d', 'macvlan', '-o', 'macvlan_mode=bogus', '-o', 'parent=dpar0', 'mv3'),
    /macvlan_mode/,
  );
});

test('ipvlan l2 and l3, and VLAN sub-interfaces made for a network and removed with it', { skip }, async () => {
  const vlan = kernelHas(['link', 'dpar0', 'name', 'probe.5', 'type', 'vlan', 'id', '5']);
  const ipvlan = kernelHas(['link', 'dpar0', 'name', 'probeiv', 'type', 'ipvlan']);
  if (!vlan) {
    // This kernel cannot make 802.1Q links: berthd says so, and leaves nothing behind.
    const err = await fails(
      'network',
      'create',
      '-d',
      'macvlan',
      '-o',
      'parent=dpar0.10',
      '--subnet',
      '192.168.80.0/24',
      'vl',
    );
    assert.match(err, /802\.1Q/);
    assert.doesNotMatch(links(), /dpar0\.10/);
  } else {
    await ok('network', 'create', '-d', 'macvlan', '-o', 'parent=dpar0.10', '--subnet', '192.168.80.0/24', 'vl');
    assert.match(links(), /dpar0\.10@dpar0/);
    await ok('run', '-d', '--name', 'v1', '--network', 'vl', 'busybox', 'sleep', '1d');
    assert.match(await linkDetail('v1'), /macvlan mode bridge/);
    await ok('rm', '-f', 'v1');
    await ok('network', 'rm', 'vl');
    assert.doesNotMatch(links(), /dpar0\.10/, 'the VLAN link berthd made went with its network');
    assert.match(links(), /dpar0@/, 'the parent it was given stays');
  }
  if (!ipvlan) {
    const err = await fails(
      'network',
      'create',
      '-d',
      'ipvlan',
      '-o',
      'parent=dpar0p',
      '--subnet',
      '192.168.81.0/24',
      'iv',
    );
    assert.match(err, /ipvlan.*(no ipvlan support|not supported)/);
    assert.doesNotMatch(await ok('network', 'ls', '--format', '{{.Name}}'), /^iv$/m);
    return;
  }
  await ok('network', 'create', '-d', 'ipvlan', '-o', 'parent=dpar0p', '--subnet', '192.168.81.0/24', 'iv');
  await ok('run', '-d', '--name', 'i1', '--network', 'iv', 'busybox', 'sleep', '1d');
  await ok('run', '-d', '--name', 'i2', '--network', 'iv', 'busybox', 'sleep', '1d');
  assert.match(await linkDetail('i1'), /ipvlan {2}mode l2 bridge/);
  const ip2 = await ok('inspect', '-f', '{{.NetworkSettings.Networks.iv.IPAddress}}', 'i2');
  assert.match(await ok('exec', 'i1', 'ping', '-c', '1', '-W', '2', ip2), /1 packets received/);
  assert.match(
    await fails('run', '--rm', '--network', 'iv', '--mac-address', '02:00:00:00:00:09', 'busybox', 'true'),
    /ipvlan/,
  );
  await ok('rm', '-f', 'i1', 'i2');
  await ok('network', 'rm', 'iv');
  await ok(
    'network',
    'create',
    '-d',
    'ipvlan',
    '-o',
    'parent=dpar0p',
    '-o',
    'ipvlan_mode=l3',
    '--subnet',
    '192.168.82.0/24',
    'iv3',
  );
  await ok('run', '-d', '--name', 'i3', '--network', 'iv3', 'busybox', 'sleep', '1d');
  assert.match(await linkDetail('i3'), /ipvlan {2}mode l3 /);
  const out = await ok('exec', 'i3', 'ip', 'route');
  await ok('rm', '-f', 'i3');
  assert.match(out, /default dev eth0/, 'L3 mode: a default route with no next hop');
  await ok('network', 'rm', 'iv3');
});

test('macvlan without a parent: an internal network on a dummy link of its own', { skip }, async () => {
  await ok('network', 'create', '-d', 'macvlan', '--subnet', '192.168.79.0/24', 'lonely');
  const n = JSON.parse(await ok('network', 'inspect', 'lonely'))[0];
  assert.equal(n.Internal, true);
  assert.match(links(), new RegExp(`dm-${n.Id.slice(0, 12)}`));
  // Its containers reach each other (through the parent berthd made).
  await ok('run', '-d', '--name', 'l1', '--network', 'lonely', '--ip', '192.168.79.10', 'busybox', 'sleep', '1d');
  assert.match(
    await ok('run', '--rm', '--network', 'lonely', 'busybox', 'ping', '-c', '1', '-W', '2', '192.168.79.10'),
    /1 packets received/,
  );
  await ok('rm', '-f', 'l1');
  const out = await ok('run', '--rm', '--network', 'lonely', 'busybox', 'ip', 'route');
  assert.doesNotMatch(out, /default/);
  await ok('network', 'rm', 'lonely');
  assert.doesNotMatch(links(), /dm-/);
});
