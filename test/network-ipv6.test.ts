// Issue 12, networks: IPv6 through the docker CLI, checked from inside the containers
// (addresses, routes, /proc/sys/net) and from this process on loopback. The daemon runs
// with `ipv6` and `fixed-cidr-v6` for its default bridge and an IPv6 default-address-pool;
// every subnet is a ULA derived from the test root. Traffic goes only to loopback and to
// addresses inside the bridges this daemon made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { execFileSync } from 'node:child_process';
import { isRoot, hasDockerCli, runCli, testNetwork, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
/** fdXX:XXXX:XXXX:<n>::/64 of this daemon's /48. */
const v6 = (n: number) => testNetwork(d.root).pool6.replace('::/48', `:${n}::/64`);
const v4 = (i: number) => testNetwork(d.root).pool.replace(/\.0\.0\/16$/, `.${220 + i}.0/24`);
let root6 = '';
useDaemon(
  (x) => {
    d = x;
    root6 = testNetwork(d.root).pool6;
  },
  {
    extraArgs: ['--ipv6'],
    // A function of the test root: the subnets are derived from it.
    config: (root: string) => {
      const n = testNetwork(root);
      const p6 = n.pool6.replace('::/48', '');
      return {
        'fixed-cidr-v6': `${p6}:ff::/64`,
        'default-address-pools': [
          { base: n.pool, size: 24 },
          { base: `${p6}:100::/56`, size: 64 },
        ],
      };
    },
  },
);

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

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: '/', timeout: 5000, family: host.includes(':') ? 6 : 4 }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www'];
const hostPort = async (name: string) => Number((await ok('port', name, '80/tcp')).split('\n')[0].split(':').pop());
const addr6 = (subnet: string, host: string) => subnet.replace('::/64', `::${host}`);

test('dual-stack user network: --ipv6, --ip6, addresses and routes inside, reachability over IPv6', {
  skip,
}, async () => {
  const s6 = v6(1);
  await ok('network', 'create', '--ipv6', '--subnet', v4(1), '--subnet', s6, 'dual');
  const net = JSON.parse(await ok('network', 'inspect', 'dual'))[0];
  assert.equal(net.EnableIPv6, true);
  assert.deepEqual(
    net.IPAM.Config.map((c: { Subnet: string; Gateway: string }) => [c.Subnet, c.Gateway]),
    [
      [v4(1), v4(1).replace('.0/24', '.1')],
      [s6, addr6(s6, '1')],
    ],
  );
  await ok('run', '-d', '--name', 'web6', '--network', 'dual', '--ip6', addr6(s6, '10'), 'busybox', ...HTTPD);
  assert.equal(
    await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "dual").GlobalIPv6Address}}', 'web6'),
    addr6(s6, '10'),
  );
  const inside = await ok(
    'exec',
    'web6',
    'sh',
    '-c',
    'ip -6 addr show dev eth0; ip -6 route; cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6',
  );
  assert.match(inside, new RegExp(`inet6 ${addr6(s6, '10')}/64 scope global`));
  assert.match(inside, new RegExp(`default via ${addr6(s6, '1')} dev eth0`));
  assert.match(inside, /\n0$/);
  // Another container reaches it over IPv6 by address and by name (AAAA from our DNS).
  await ok('run', '-d', '--name', 'cli6', '--network', 'dual', 'busybox', 'sleep', '1d');
  const auto = await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "dual").GlobalIPv6Address}}', 'cli6');
  // As Docker's serial allocator: the next address after the last one handed out (::10).
  assert.equal(auto, addr6(s6, '11'));
  await waitFor(async () => {
    // busybox nc: its static wget crashes on an IPv6 literal.
    const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${addr6(s6, '10')} 80`;
    const r = await runCli('docker', d, ['exec', 'cli6', 'sh', '-c', get]);
    return r.stdout.includes('hello-');
  });
  const ns = await ok('exec', 'cli6', 'nslookup', '-type=AAAA', 'web6');
  assert.match(ns, new RegExp(addr6(s6, '10')));
  const ptr = await ok('exec', 'cli6', 'nslookup', addr6(s6, '10'));
  assert.match(ptr, /web6\.dual/);
  // The network lists both addresses.
  const ep = JSON.parse(await ok('network', 'inspect', 'dual'))[0].Containers;
  assert.ok(Object.values(ep).some((e) => (e as { IPv6Address: string }).IPv6Address === `${addr6(s6, '10')}/64`));
});

test('IPv4-only network: IPv6 is off on the interface (no link-local address)', { skip }, async () => {
  await ok('network', 'create', '--subnet', v4(2), 'only4');
  const out = await ok(
    'run',
    '--rm',
    '--network',
    'only4',
    'busybox',
    'sh',
    '-c',
    'cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip -6 addr show dev eth0 | wc -l',
  );
  assert.deepEqual(out.split('\n'), ['1', '0']);
  const fe80 = execFileSync('/usr/sbin/ip', [
    '-6',
    'addr',
    'show',
    'dev',
    `br-${JSON.parse(await ok('network', 'inspect', 'only4'))[0].Id.slice(0, 12)}`,
  ]).toString();
  assert.doesNotMatch(fe80, /inet6/, 'the bridge of an IPv4-only network has no IPv6 either');
  assert.equal(
    await ok(
      'inspect',
      '-f',
      '{{.NetworkSettings.Networks.only4.GlobalIPv6Address}}',
      await ok('run', '-d', '--network', 'only4', 'busybox', 'sleep', '1d'),
    ),
    '',
  );
});

test('network connect --ip6 (and a MAC address through the API) on a running container', { skip }, async () => {
  const s6 = v6(1);
  const id = await ok('run', '-d', '--name', 'late', '--network', 'only4', 'busybox', 'sleep', '1d');
  await ok('network', 'connect', '--ip6', addr6(s6, '99'), 'dual', 'late');
  const out = await ok(
    'exec',
    'late',
    'sh',
    '-c',
    'cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6 /proc/sys/net/ipv6/conf/eth1/disable_ipv6; ip -6 addr show dev eth1',
  );
  assert.match(out, /^1\n0\n/, 'IPv6 only on the interface of the IPv6 network');
  assert.match(out, new RegExp(`inet6 ${addr6(s6, '99')}/64`));
  await ok('network', 'create', '--subnet', v4(4), 'macnet');
  const r = await d.api('POST', '/networks/macnet/connect', {
    body: { Container: id, EndpointConfig: { MacAddress: '02:00:00:00:06:06' } },
  });
  assert.equal(r.status, 200, r.body.toString());
  assert.match(await ok('exec', 'late', 'cat', '/sys/class/net/eth2/address'), /^02:00:00:00:06:06$/);
  assert.equal(
    await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "macnet").MacAddress}}', 'late'),
    '02:00:00:00:06:06',
  );
  // Default routes as Docker picks them: a dual-stack network before IPv4-only ones, then
  // gw-priority; both families move together on connect and disconnect.
  const gw4 = (s: string) => s.replace(/\.0\/24$/, '.1');
  const routes = () => ok('exec', 'late', 'sh', '-c', 'ip -4 route show default; ip -6 route show default');
  let r4 = await routes();
  assert.match(r4, new RegExp(`^default via ${gw4(v4(1)).replace(/\./g, '\\.')} dev eth1`, 'm'));
  assert.match(r4, new RegExp(`^default via ${addr6(s6, '1')} dev eth1`, 'm'));
  const s6b = v6(5);
  await ok('network', 'create', '--ipv6', '--subnet', v4(5), '--subnet', s6b, 'dual2');
  await ok('network', 'connect', '--gw-priority', '3', 'dual2', 'late');
  r4 = await routes();
  assert.match(r4, new RegExp(`^default via ${gw4(v4(5)).replace(/\./g, '\\.')} dev eth3`, 'm'));
  assert.match(r4, new RegExp(`^default via ${addr6(s6b, '1')} dev eth3`, 'm'));
  assert.equal(r4.split('\n').length, 2, r4);
  await ok('network', 'disconnect', 'dual2', 'late');
  r4 = await routes();
  assert.match(r4, new RegExp(`^default via ${gw4(v4(1)).replace(/\./g, '\\.')} dev eth1`, 'm'));
  assert.match(r4, new RegExp(`^default via ${addr6(s6, '1')} dev eth1`, 'm'));
});

test('published ports on 127.0.0.1, [::1] and the host IPv6 address; IPv4-only containers on [::1] too', {
  skip,
}, async () => {
  const s6 = v6(1);
  await ok('run', '-d', '--name', 'pub6', '--network', 'dual', '-p', '80', 'busybox', ...HTTPD);
  const p = await hostPort('pub6');
  const ports = await ok('port', 'pub6', '80/tcp');
  assert.match(ports, new RegExp(`0\\.0\\.0\\.0:${p}`));
  assert.match(ports, new RegExp(`\\[::\\]:${p}`));
  await waitFor(async () => (await get('127.0.0.1', p).catch(() => '')).startsWith('hello-'));
  assert.match(await get('::1', p), /^hello-/);
  // The bridge's own IPv6 address is a host address: kernel DNAT to the container.
  assert.match(await get(addr6(s6, '1'), p), /^hello-/);
  // A container with no IPv6 address: [::1] (and [::]) are relayed to its IPv4 address.
  await ok('run', '-d', '--name', 'pub4', '--network', 'only4', '-p', '80', 'busybox', ...HTTPD);
  const p4 = await hostPort('pub4');
  await waitFor(async () => (await get('127.0.0.1', p4).catch(() => '')).startsWith('hello-'));
  assert.match(await get('::1', p4), /^hello-/);
  // Bound to [::1] only: IPv4 loopback does not answer.
  await ok('run', '-d', '--name', 'loop6', '--network', 'dual', '-p', '[::1]::80', 'busybox', ...HTTPD);
  const p6 = Number((await ok('port', 'loop6', '80/tcp')).split(':').pop());
  await waitFor(async () => (await get('::1', p6).catch(() => '')).startsWith('hello-'));
  await assert.rejects(get('127.0.0.1', p6));
  // berthd killed and restarted: the relays come back with it.
  await d.stop('SIGKILL');
  await d.start();
  assert.match(await get('::1', p), /^hello-/);
  assert.match(await get('::1', p4), /^hello-/);
  // NAT66 is off by default: no IPv6 masquerade for the network; IPv4 keeps its NAT.
  const table = execFileSync('/usr/sbin/nft', ['list', 'table', 'ip6', testNetwork(d.root).table]).toString();
  assert.doesNotMatch(table, new RegExp(`ip6 saddr ${s6.replace(/[.:/]/g, (c) => `\\${c}`)} .*masquerade`));
  await ok(
    'network',
    'create',
    '--ipv6',
    '--subnet',
    v6(3),
    '-o',
    'com.docker.network.bridge.gateway_mode_ipv6=nat',
    'nat66',
  );
  const table2 = execFileSync('/usr/sbin/nft', ['list', 'table', 'ip6', testNetwork(d.root).table]).toString();
  assert.match(table2, new RegExp(`ip6 saddr ${v6(3)} oifname != "br-[0-9a-f]+" masquerade`));
});

test('daemon ipv6 + fixed-cidr-v6: the default bridge is dual-stack; v6 pools feed new networks', {
  skip,
}, async () => {
  const fixed = `${root6.replace('::/48', '')}:ff::/64`;
  const bridge = JSON.parse(await ok('network', 'inspect', 'bridge'))[0];
  assert.equal(bridge.EnableIPv6, true);
  assert.ok(
    bridge.IPAM.Config.some((c: { Subnet: string }) => c.Subnet === fixed),
    JSON.stringify(bridge.IPAM),
  );
  const out = await ok('run', '--rm', 'busybox', 'ip', '-6', 'addr', 'show', 'dev', 'eth0');
  assert.match(out, new RegExp(`inet6 ${fixed.replace('::/64', '::2')}/64`));
  // --ipv6 with no subnet: the next /64 of the daemon's IPv6 pool.
  await ok('network', 'create', '--ipv6', 'auto6');
  const cfg = JSON.parse(await ok('network', 'inspect', 'auto6'))[0].IPAM.Config;
  const sub6 = cfg.find((c: { Subnet: string }) => c.Subnet.includes(':')).Subnet as string;
  assert.match(sub6, new RegExp(`^${root6.replace('::/48', '')}:1[0-9a-f]{2}::/64$`));
  // Bad input: Docker-shaped refusals.
  assert.match(await fails('network', 'create', '--subnet', v6(9), 'nov6'), /IPv6 is not enabled/);
  assert.match(await fails('network', 'create', '--ipv6', '--subnet', v6(1), 'clash'), /overlaps/);
  assert.match(
    await fails('run', '--rm', '--network', 'only4', '--ip6', addr6(v6(2), '5'), 'busybox', 'true'),
    /has no IPv6/,
  );
  assert.match(
    await fails('run', '--rm', '--ip6', 'zz::1', 'busybox', 'true'),
    /invalid IPv6 address|invalid argument/i,
  );
});
