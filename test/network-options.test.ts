// Issue 12, networks: what `docker network create` and the per-endpoint settings carry,
// honoured and echoed — names with spaces, driver options (bridge name, ICC, MTU,
// interface prefix, host binding), Internal, Attachable, Labels, IPAM options and
// auxiliary addresses; Aliases, network-scoped Links, MacAddress, DriverOpts (interface
// name, sysctls), IPAMConfig addresses and link-local IPs on run and on `network connect`;
// `docker rm --link`; and refusals naming what Berth does not implement. Checked through
// the docker CLI and from inside the containers. Traffic stays inside this daemon's bridges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { isRoot, hasDockerCli, runCli, testNetwork, useDaemon, type TestDaemon } from './helpers/daemon.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

const ok = async (...args: string[]) => {
  const r = await runCli('docker', d, args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.logs().slice(-1500)}`);
  return r.stdout.trim();
};
const fails = async (...args: string[]) => {
  const r = await runCli('docker', d, args);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail:\n${r.stdout}`);
  return r.stderr.trim();
};
const subnet = (i: number) => testNetwork(d.root).pool.replace(/\.0\.0\/16$/, `.${230 + i}.0/24`);
const host = (i: number, h: number) => subnet(i).replace(/\.0\/24$/, `.${h}`);
const inspect = async (name: string) => JSON.parse(await ok('network', 'inspect', name))[0];
/** A TCP probe from inside a container (busybox nc; exit 0 when it connected). */
const canReach = async (from: string, ip: string) =>
  (await runCli('docker', d, ['exec', from, 'nc', '-z', '-w', '2', ip, '80'])).code === 0;
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www'];

test('a network name with spaces is valid: create, inspect, run on it, remove', { skip }, async () => {
  const id = await ok('network', 'create', '--subnet', subnet(0), 'test 01');
  assert.equal((await inspect('test 01')).Name, 'test 01');
  assert.match(await ok('network', 'ls', '--format', '{{.Name}}'), /^test 01$/m);
  const out = await ok('run', '--rm', '--network', 'test 01', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0');
  assert.match(out, new RegExp(host(0, 2).replace(/\./g, '\\.')));
  await ok('network', 'rm', 'test 01');
  assert.match(await fails('network', 'inspect', id), /not found/);
});

test('driver options, Internal, Attachable, Labels, IPAM options and aux addresses: honoured and echoed', {
  skip,
}, async () => {
  await ok(
    'network',
    'create',
    '--subnet',
    subnet(1),
    '--aux-address',
    `router=${host(1, 2)}`,
    '--ipam-opt',
    'foo=bar',
    '--attachable',
    '--label',
    'team=net',
    '-o',
    'com.docker.network.bridge.name=bxopt1',
    '-o',
    // Read as Docker's driver reads booleans (strconv.ParseBool).
    'com.docker.network.bridge.enable_icc=0',
    '-o',
    'com.docker.network.driver.mtu=1400',
    '-o',
    'com.docker.network.container_iface_prefix=lan',
    'opts',
  );
  const n = await inspect('opts');
  assert.equal(n.Options['com.docker.network.bridge.name'], 'bxopt1');
  assert.equal(n.Options['com.docker.network.driver.mtu'], '1400');
  assert.equal(n.Attachable, true);
  assert.deepEqual(n.Labels, { team: 'net' });
  assert.deepEqual(n.IPAM.Options, { foo: 'bar' });
  assert.deepEqual(n.IPAM.Config[0].AuxiliaryAddresses, { router: host(1, 2) });
  assert.match(await ok('network', 'ls', '-f', 'label=team=net', '--format', '{{.Name}}'), /^opts$/);
  // The bridge exists under its name with the MTU; containers get lan0 with MTU 1400.
  assert.match(execFileSync('/usr/sbin/ip', ['-o', 'link', 'show', 'bxopt1']).toString(), /mtu 1400/);
  await ok('run', '-d', '--name', 'o1', '--network', 'opts', 'busybox', ...HTTPD);
  await ok('run', '-d', '--name', 'o2', '--network', 'opts', 'busybox', ...HTTPD);
  const inside = await ok('exec', 'o1', 'sh', '-c', 'cat /sys/class/net/lan0/mtu; ip -4 -o addr show lan0');
  assert.match(inside, /^1400\n/);
  // The aux address is never handed out: the first container gets .3.
  assert.match(inside, new RegExp(`inet ${host(1, 3).replace(/\./g, '\\.')}/24`));
  // ICC off: o1 cannot reach o2, but both reach the gateway (our DNS answers there).
  const ip2 = await ok('inspect', '-f', '{{.NetworkSettings.Networks.opts.IPAddress}}', 'o2');
  assert.equal(await canReach('o1', ip2), false, 'ICC is off');
  assert.match(await ok('exec', 'o1', 'nslookup', 'o2'), new RegExp(ip2.replace(/\./g, '\\.')));
  // host_binding_ipv4: published ports without an address bind there.
  await ok(
    'network',
    'create',
    '--subnet',
    subnet(2),
    '-o',
    'com.docker.network.bridge.host_binding_ipv4=127.0.0.1',
    'hb',
  );
  await ok('run', '-d', '--name', 'hb1', '--network', 'hb', '-p', '80', 'busybox', ...HTTPD);
  assert.match(await ok('port', 'hb1', '80/tcp'), /^127\.0\.0\.1:\d+$/);
  // Internal: echoed and enforced (no default route).
  await ok('network', 'create', '--internal', '--subnet', subnet(3), 'inside');
  assert.equal((await inspect('inside')).Internal, true);
  assert.doesNotMatch(await ok('run', '--rm', '--network', 'inside', 'busybox', 'ip', 'route'), /default/);
});

test('options and fields Berth does not implement are refused by name', { skip }, async () => {
  assert.match(
    await fails('network', 'create', '-o', 'com.docker.network.bridge.trusted_host_interfaces=eth0', 'r1'),
    /com\.docker\.network\.bridge\.trusted_host_interfaces/,
  );
  assert.match(await fails('network', 'create', '--ipam-driver', 'foo', 'r2'), /plugin "foo" not found/);
  assert.match(await fails('network', 'create', '--config-from', 'opts', 'r3'), /config-from/);
  assert.match(
    await fails('network', 'create', '-o', 'com.docker.network.bridge.enable_icc=maybe', 'r9'),
    /failed to parse com\.docker\.network\.bridge\.enable_icc value: maybe/,
  );
  assert.match(
    await fails('network', 'create', '-o', 'com.docker.network.bridge.host_binding_ipv4=nope', 'r9'),
    /host_binding_ipv4 value: nope/,
  );
  assert.match(
    await fails('network', 'create', '-o', 'com.docker.network.bridge.gateway_mode_ipv4=isolated', 'r9'),
    /gateway_mode_ipv4=isolated is not supported/,
  );
  // API 1.48's IPv6-only networks, and IPAM options in Docker's reserved namespace.
  assert.match(await fails('network', 'create', '--ipv6', '--ipv4=false', 'r9'), /IPv6-only networks/);
  const v6only = await d.api('POST', '/networks/create', { body: { Name: 'r9', EnableIPv4: false } });
  assert.equal(v6only.status, 400);
  assert.match(v6only.body.toString(), /EnableIPv4: false/);
  assert.match(
    await fails('network', 'create', '--ipam-opt', 'com.docker.network.ipam.serial=true', 'r9'),
    /IPAM option com\.docker\.network\.ipam\.serial/,
  );
  assert.match(await fails('network', 'create', '--scope', 'swarm', 'r4'), /scope/);
  assert.match(await fails('network', 'create', '-d', 'overlay', 'r5'), /overlay/);
  assert.match(
    await fails('network', 'create', '--subnet', subnet(4), '--subnet', subnet(5), 'r6'),
    /more than one IPv4 subnet/,
  );
  // (The CLI checks aux addresses itself: asked through the API.)
  const aux = await d.api('POST', '/networks/create', {
    body: { Name: 'r7', IPAM: { Config: [{ Subnet: subnet(4), AuxiliaryAddresses: { x: '10.0.0.1' } }] } },
  });
  assert.equal(aux.status, 400);
  assert.match(aux.body.toString(), /auxiliary address: \(x:10\.0\.0\.1\) must belong to the master pool/);
  assert.match(await fails('network', 'create', '-o', 'com.docker.network.driver.mtu=abc', 'r8'), /invalid MTU/);
  assert.match(
    await fails(
      'run',
      '--rm',
      '--network',
      'opts',
      '--network-alias',
      'x',
      '--mac-address',
      '01:00:00:00:00:01',
      'busybox',
      'true',
    ),
    /multicast/,
  );
  assert.match(
    await fails(
      'run',
      '--rm',
      '--network',
      'name=opts,driver-opt=com.docker.network.endpoint.foo=1',
      'busybox',
      'true',
    ),
    /com\.docker\.network\.endpoint\.foo/,
  );
  assert.match(
    await fails('run', '--rm', '--network', 'opts', '--link-local-ip', '10.1.1.1', 'busybox', 'true'),
    /link-local/,
  );
  const names = (await ok('network', 'ls', '--format', '{{.Name}}')).split('\n');
  assert.deepEqual(
    names.filter((x) => /^r\d$/.test(x)),
    [],
    'nothing half made',
  );
});

test('endpoint settings on run: alias, MAC, static address, link-local IP, interface name and sysctls', {
  skip,
}, async () => {
  await ok('network', 'create', '--subnet', subnet(6), 'ep');
  await ok(
    'run',
    '-d',
    '--name',
    'e1',
    '--network',
    'name=ep,alias=svc,ip=' +
      host(6, 50) +
      ',mac-address=02:00:00:aa:bb:cc,link-local-ip=169.254.10.10,' +
      'driver-opt=com.docker.network.endpoint.ifname=wan0,' +
      '"driver-opt=com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.log_martians=1"',
    'busybox',
    ...HTTPD,
  );
  const ep = JSON.parse(await ok('inspect', 'e1'))[0].NetworkSettings.Networks.ep;
  assert.deepEqual(ep.Aliases, ['svc']);
  assert.equal(ep.IPAddress, host(6, 50));
  assert.equal(ep.MacAddress, '02:00:00:aa:bb:cc');
  assert.deepEqual(ep.IPAMConfig.LinkLocalIPs, ['169.254.10.10']);
  assert.equal(ep.DriverOpts['com.docker.network.endpoint.ifname'], 'wan0');
  const inside = await ok(
    'exec',
    'e1',
    'sh',
    '-c',
    'cat /sys/class/net/wan0/address; ip -4 -o addr show wan0; cat /proc/sys/net/ipv4/conf/wan0/log_martians',
  );
  assert.match(inside, /^02:00:00:aa:bb:cc\n/);
  assert.match(inside, new RegExp(`inet ${host(6, 50).replace(/\./g, '\\.')}/24`));
  assert.match(inside, /inet 169\.254\.10\.10\/16/);
  assert.match(inside, /\n1$/);
  // The alias resolves from another container on the network.
  assert.match(await ok('run', '--rm', '--network', 'ep', 'busybox', 'nslookup', 'svc'), new RegExp(host(6, 50)));
});

test('network connect with alias, static IP, link-local IP, MAC and a network-scoped link', { skip }, async () => {
  await ok('network', 'create', '--subnet', subnet(7), 'ep2');
  await ok('run', '-d', '--name', 'target', '--network', 'ep2', 'busybox', ...HTTPD);
  await ok('run', '-d', '--name', 'c1', 'busybox', 'sleep', '1d');
  await ok(
    'network',
    'connect',
    '--alias',
    'second',
    '--ip',
    host(7, 77),
    '--link-local-ip',
    '169.254.7.7',
    '--link',
    'target:tgt',
    '--driver-opt',
    'com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.log_martians=1',
    'ep2',
    'c1',
  );
  const ep = JSON.parse(await ok('inspect', 'c1'))[0].NetworkSettings.Networks.ep2;
  assert.equal(ep.IPAddress, host(7, 77));
  assert.deepEqual(ep.Aliases, ['second']);
  assert.deepEqual(ep.Links, ['target:tgt']);
  const inside = await ok(
    'exec',
    'c1',
    'sh',
    '-c',
    'ip -4 -o addr show eth1; cat /proc/sys/net/ipv4/conf/eth1/log_martians',
  );
  assert.match(inside, new RegExp(`inet ${host(7, 77).replace(/\./g, '\\.')}/24`));
  assert.match(inside, /inet 169\.254\.7\.7\/16/);
  assert.match(inside, /\n1$/);
  // The link's alias is c1's own name for target; another container does not resolve it.
  const tip = await ok('inspect', '-f', '{{.NetworkSettings.Networks.ep2.IPAddress}}', 'target');
  assert.match(await ok('exec', 'c1', 'nslookup', 'tgt'), new RegExp(tip.replace(/\./g, '\\.')));
  const other = await runCli('docker', d, ['run', '--rm', '--network', 'ep2', 'busybox', 'nslookup', 'tgt']);
  assert.doesNotMatch(other.stdout, new RegExp(tip.replace(/\./g, '\\.')));
  assert.match(await ok('run', '--rm', '--network', 'ep2', 'busybox', 'nslookup', 'second'), new RegExp(host(7, 77)));
  // --link on a user-defined network at run: the same network-scoped alias.
  assert.match(
    await ok('run', '--rm', '--network', 'ep2', '--link', 'target:db', 'busybox', 'nslookup', 'db'),
    new RegExp(tip.replace(/\./g, '\\.')),
  );
});

test('docker rm --link removes a legacy link from its parent', { skip }, async () => {
  await ok('run', '-d', '--name', 'lweb', 'busybox', ...HTTPD);
  await ok('create', '--name', 'lcli', '--link', 'lweb:db', 'busybox', 'cat', '/etc/hosts');
  assert.equal(await ok('inspect', '-f', '{{json .HostConfig.Links}}', 'lcli'), '["/lweb:/lcli/db"]');
  await ok('rm', '--link', '/lcli/db');
  assert.equal(await ok('inspect', '-f', '{{json .HostConfig.Links}}', 'lcli'), 'null');
  await ok('start', 'lcli');
  await ok('wait', 'lcli');
  assert.doesNotMatch(await ok('logs', 'lcli'), /\bdb\b/);
  assert.match(await fails('rm', '--link', '/lcli/db'), /No such container: \/lcli\/db/);
  assert.match(await fails('rm', '--link', 'lweb'), /cannot remove the default link name/);
  // The linked container is untouched.
  assert.equal(await ok('inspect', '-f', '{{.State.Running}}', 'lweb'), 'true');
});

test('default routes: GwPriority, lexical order, an internal primary; moved on connect and disconnect', {
  skip,
}, async () => {
  await ok('network', 'create', '--internal', '--subnet', subnet(8), 'gw-0i');
  await ok('network', 'create', '--subnet', subnet(9), 'gw-a');
  await ok('network', 'create', '--subnet', subnet(10), 'gw-b');
  const via = (i: number) => new RegExp(`^default via ${host(i, 1).replace(/\./g, '\\.')} dev (\\w+)`, 'm');
  const routes = (...args: string[]) => ok('run', '--rm', ...args, 'busybox', 'ip', '-4', 'route', 'show', 'default');
  // Equal priorities: the first non-internal network in lexical order, not the primary.
  assert.match(await routes('--network', 'gw-b', '--network', 'gw-a'), via(9));
  // gw-priority lifts one above the other; an internal network never carries the route.
  assert.match(await routes('--network', 'name=gw-b,gw-priority=10', '--network', 'gw-a'), via(10));
  assert.match(await routes('--network', 'gw-0i', '--network', 'gw-b'), via(10));
  assert.equal(await routes('--network', 'gw-0i'), '');
  // On a running container: connect and disconnect move the route where Docker would.
  await ok('run', '-d', '--name', 'gw1', '--network', 'gw-0i', 'busybox', 'sleep', '1d');
  const now = () => ok('exec', 'gw1', 'ip', '-4', 'route', 'show', 'default');
  assert.equal(await now(), '');
  await ok('network', 'connect', 'gw-b', 'gw1');
  assert.match(await now(), via(10));
  await ok('network', 'connect', '--gw-priority', '5', 'gw-a', 'gw1');
  assert.match(await now(), via(9));
  assert.equal(await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "gw-a").GwPriority}}', 'gw1'), '5');
  await ok('network', 'disconnect', 'gw-a', 'gw1');
  assert.match(await now(), via(10));
  await ok('network', 'disconnect', 'gw-b', 'gw1');
  assert.equal(await now(), '');
  // Stopped and started again: the same choice from the recorded settings.
  await ok('network', 'connect', '--gw-priority', '-1', 'gw-a', 'gw1');
  await ok('network', 'connect', 'gw-b', 'gw1');
  await ok('restart', '-t', '0', 'gw1');
  assert.match(await now(), via(10));
});

test('network prune: until, label and label! filters, others refused; inspect by scope; disconnect --force', {
  skip,
}, async () => {
  await ok('network', 'create', '--subnet', subnet(11), '--label', 'tier=old', 'pr-old');
  await ok('network', 'create', '--subnet', subnet(12), '--label', 'tier=new', 'pr-new');
  await ok('network', 'create', '--subnet', subnet(13), 'pr-plain');
  const left = async () =>
    (await ok('network', 'ls', '--format', '{{.Name}}')).split('\n').filter((x) => /^pr-/.test(x));
  // Made just now: none is older than an hour.
  await ok('network', 'prune', '-f', '--filter', 'until=1h');
  assert.deepEqual((await left()).sort(), ['pr-new', 'pr-old', 'pr-plain']);
  assert.match(await ok('network', 'prune', '-f', '--filter', 'label=tier', '--filter', 'label!=tier=new'), /pr-old/);
  assert.deepEqual((await left()).sort(), ['pr-new', 'pr-plain']);
  const later = String(Math.floor(Date.now() / 1000) + 3600);
  assert.match(await ok('network', 'prune', '-f', '--filter', `until=${later}`, '--filter', 'label=tier'), /pr-new/);
  assert.deepEqual(await left(), ['pr-plain']);
  assert.match(await fails('network', 'prune', '-f', '--filter', 'driver=bridge'), /invalid filter 'driver'/);
  assert.match(await fails('network', 'prune', '-f', '--filter', 'until=soon'), /invalid filter 'until=soon'/);
  assert.deepEqual(await left(), ['pr-plain']);
  // Every network here is local: asked for in another scope, none is found.
  assert.equal((await d.api('GET', '/networks/pr-plain?scope=swarm')).status, 404);
  assert.equal((await d.api('GET', '/networks/pr-plain?scope=local')).status, 200);
  // --force for a container that is gone: no endpoint of that name is left on the network.
  assert.match(await fails('network', 'disconnect', '-f', 'pr-plain', 'ghost'), /endpoint ghost not found/);
  assert.match(await fails('network', 'disconnect', 'pr-plain', 'ghost'), /No such container: ghost/);
});

test('Config.NetworkDisabled: loopback only, whatever the network mode; network connect refused', {
  skip,
}, async () => {
  await ok('network', 'create', '--subnet', subnet(14), 'nd-net');
  const create = async (name: string, mode: string, cmd: string[]) => {
    const r = await d.api('POST', `/containers/create?name=${name}`, {
      body: { Image: 'busybox', Cmd: cmd, NetworkDisabled: true, HostConfig: { NetworkMode: mode } },
    });
    assert.equal(r.status, 201, r.body.toString());
    assert.doesNotMatch(r.body.toString(), /NetworkDisabled/, 'enforced: no warning');
  };
  for (const [name, mode] of [
    ['nd1', 'default'],
    ['nd2', 'host'],
    ['nd3', 'nd-net'],
  ]) {
    await create(name, mode, ['ip', '-o', 'link']);
    await ok('start', name);
    assert.equal(await ok('wait', name), '0');
    const links = (await ok('logs', name)).split('\n');
    assert.equal(links.length, 1, `${mode}: ${links.join('\n')}`);
    assert.match(links[0], /^1: lo: /);
  }
  await create('nd4', 'default', ['sleep', '1d']);
  await ok('start', 'nd4');
  assert.match(await fails('network', 'connect', 'nd-net', 'nd4'), /networking disabled \(NetworkDisabled\)/);
  await ok('rm', '-f', 'nd4');
});
