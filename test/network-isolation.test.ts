// Issue 5, second half: link environment variables, /etc/hosts and DNS following
// connect/disconnect/rename, NetworkMode kept after disconnecting the primary network,
// and enforcement of icc=false (daemon-wide here) and internal networks. Traffic goes
// only to addresses inside the bridges this daemon made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { statSync } from 'node:fs';
import { isRoot, hasDockerCli, runCli, testNetwork, useDaemon, type TestDaemon } from './helpers/daemon.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
useDaemon((x) => (d = x), { config: { icc: false } });

const ok = async (cli: 'docker' | 'berth', ...args: string[]) => {
  const r = await runCli(cli, d, args);
  assert.equal(r.code, 0, `${cli} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const userSubnet = (i: number) => testNetwork(d.root).pool.replace(/\.0\.0\/16$/, `.${210 + i}.0/24`);
const ipOf = (name: string, net = 'bridge') =>
  ok('docker', 'inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name);

test("--link name:alias sets Docker's link environment variables", { skip }, async () => {
  await ok(
    'berth',
    'run',
    '-d',
    '--name',
    'web',
    '-e',
    'FOO=bar baz',
    '--expose',
    '80',
    '--expose',
    '53/udp',
    'busybox',
    'sleep',
    '1d',
  );
  const ip = await ipOf('web');
  const env = (await ok('berth', 'run', '--rm', '--name', 'client', '--link', 'web:w', 'busybox', 'env')).split('\n');
  for (const want of [
    'W_NAME=/client/w',
    `W_PORT=udp://${ip}:53`,
    `W_PORT_80_TCP=tcp://${ip}:80`,
    `W_PORT_80_TCP_ADDR=${ip}`,
    'W_PORT_80_TCP_PORT=80',
    'W_PORT_80_TCP_PROTO=tcp',
    `W_PORT_53_UDP=udp://${ip}:53`,
    'W_ENV_FOO=bar baz',
  ])
    assert.ok(env.includes(want), `${want} missing from:\n${env.join('\n')}`);
  assert.ok(!env.some((e) => e.startsWith('W_ENV_PATH=')));
  // The container's own variables win over link variables.
  assert.match(
    await ok('docker', 'run', '--rm', '--link', 'web:w', '-e', 'W_NAME=mine', 'busybox', 'sh', '-c', 'echo $W_NAME'),
    /^mine$/,
  );
  await ok('docker', 'rm', '-f', 'web');
});

test('connect/disconnect rewrite /etc/hosts in place; disconnecting the primary keeps NetworkMode; rename updates DNS', {
  skip,
}, async () => {
  await ok('docker', 'network', 'create', '--subnet', userSubnet(1), 'side');
  await ok('docker', 'run', '-d', '--name', 'c1', 'busybox', 'sleep', '1d');
  const hostsFile = await ok('docker', 'inspect', '-f', '{{.HostsPath}}', 'c1');
  const inode = statSync(hostsFile).ino;
  await ok('docker', 'network', 'connect', 'side', 'c1');
  const sideIp = await ipOf('c1', 'side');
  assert.match(
    await ok('docker', 'exec', 'c1', 'cat', '/etc/hosts'),
    new RegExp(`^${sideIp.replace(/\./g, '\\.')}\\s`, 'm'),
  );
  assert.match(
    await ok('docker', 'run', '--rm', '--net', 'side', 'busybox', 'nslookup', 'c1'),
    new RegExp(sideIp.replace(/\./g, '\\.')),
  );
  // Renamed: the new name resolves at once, the old one no more.
  await ok('docker', 'rename', 'c1', 'c2');
  assert.match(
    await ok('docker', 'run', '--rm', '--net', 'side', 'busybox', 'nslookup', 'c2'),
    new RegExp(sideIp.replace(/\./g, '\\.')),
  );
  assert.notEqual((await runCli('docker', d, ['run', '--rm', '--net', 'side', 'busybox', 'nslookup', 'c1'])).code, 0);
  await ok('docker', 'network', 'disconnect', 'side', 'c2');
  assert.doesNotMatch(
    await ok('docker', 'exec', 'c2', 'cat', '/etc/hosts'),
    new RegExp(`^${sideIp.replace(/\./g, '\\.')}\\s`, 'm'),
  );
  assert.equal(statSync(hostsFile).ino, inode, '/etc/hosts replaced instead of rewritten in place');
  // Off its primary network: NetworkMode stays, the network is gone from Networks, even after a restart.
  await ok('docker', 'network', 'disconnect', 'bridge', 'c2');
  assert.equal(await ok('docker', 'inspect', '-f', '{{.HostConfig.NetworkMode}}', 'c2'), 'bridge');
  assert.equal(await ok('docker', 'inspect', '-f', '{{len .NetworkSettings.Networks}}', 'c2'), '0');
  await ok('docker', 'restart', '-t', '0', 'c2');
  assert.doesNotMatch(await ok('docker', 'exec', 'c2', 'ip', '-o', 'link'), /eth0/);
  await ok('docker', 'network', 'connect', 'bridge', 'c2');
  assert.match(await ipOf('c2'), /^10\./);
  assert.match(await ok('docker', 'exec', 'c2', 'ip', 'route'), /^default via/m);
  await ok('docker', 'rm', '-f', 'c2');
  await ok('docker', 'network', 'rm', 'side');
});

test('icc=false: two containers on the default bridge cannot talk; the gateway still answers', { skip }, async () => {
  await ok(
    'docker',
    'run',
    '-d',
    '--name',
    'ia',
    'busybox',
    'sh',
    '-c',
    'mkdir /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www',
  );
  const ip = await ipOf('ia');
  // (nc, not wget: this busybox's wget crashes here) The control below proves the probe works.
  const fetch = (addr: string) =>
    `for i in 1 2 3 4 5 6; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${addr} 80 | grep -q '^hi' && exit 0; sleep 0.5; done; exit 1`;
  const r = await runCli('docker', d, ['run', '--rm', 'busybox', 'sh', '-c', fetch(ip)]);
  assert.equal(r.code, 1, `reached a container across the bridge with icc=false: ${r.stdout}${r.stderr}`);
  await ok(
    'docker',
    'run',
    '--rm',
    'busybox',
    'ping',
    '-c1',
    '-W2',
    await ok('docker', 'inspect', '-f', '{{.NetworkSettings.Gateway}}', 'ia'),
  );
  // A user network keeps ICC on (the daemon's --icc is the default bridge's), as Docker.
  await ok('docker', 'network', 'create', '--subnet', userSubnet(2), 'open');
  await ok(
    'docker',
    'run',
    '-d',
    '--net',
    'open',
    '--name',
    'ib',
    'busybox',
    'sh',
    '-c',
    'mkdir /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www',
  );
  const ibIp = await ipOf('ib', 'open');
  await ok('docker', 'run', '--rm', '--net', 'open', 'busybox', 'sh', '-c', fetch(ibIp));
  await ok('docker', 'rm', '-f', 'ia', 'ib');
  await ok('docker', 'network', 'rm', 'open');
});

test("internal network: no way out, not even to the host's other addresses; DNS on its gateway works", {
  skip,
}, async () => {
  await ok('docker', 'network', 'create', '--internal', '--subnet', userSubnet(3), 'inner');
  // A listener on another host address: the default bridge's gateway (this daemon's bridge).
  await ok('docker', 'run', '-d', '--name', 'probe', 'busybox', 'sleep', '1d');
  const hostAddr = await ok('docker', 'inspect', '-f', '{{.NetworkSettings.Gateway}}', 'probe');
  const srv = createServer((s) => s.end('host\n'));
  await new Promise<void>((res) => srv.listen(0, hostAddr, res));
  const port = (srv.address() as { port: number }).port;
  try {
    // Control: from the default bridge the host address answers.
    assert.match(await ok('docker', 'exec', 'probe', 'nc', '-w', '3', hostAddr, String(port)), /host/);
    await ok('docker', 'run', '-d', '--net', 'inner', '--name', 'in1', 'busybox', 'sleep', '1d');
    const gw = await ok('docker', 'network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'inner');
    // Even with a default route added by hand, the host's other addresses stay unreachable.
    const r = await runCli('docker', d, [
      'run',
      '--rm',
      '--net',
      'inner',
      '--cap-add',
      'NET_ADMIN',
      'busybox',
      'sh',
      '-c',
      `ip route add default via ${gw}; nc -w 3 ${hostAddr} ${port}`,
    ]);
    assert.doesNotMatch(r.stdout, /host/);
    assert.match(await ok('docker', 'run', '--rm', '--net', 'inner', 'busybox', 'nslookup', 'in1'), /Address:?\s+10\./);
  } finally {
    srv.close();
  }
  await ok('docker', 'rm', '-f', 'probe', 'in1');
  await ok('docker', 'network', 'rm', 'inner');
});
