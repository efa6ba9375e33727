// Bridge networking end to end: default bridge with published ports, user-defined
// networks with DNS (forwarding to a stub resolver on loopback), connect/disconnect,
// crash recovery, parallel starts and Docker's errors for bad input. Traffic goes only to
// 127.0.0.0/8 and to addresses inside the bridges these tests make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { request as httpRequest } from 'node:http';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import {
  isRoot,
  hasDockerCli,
  runCli,
  netPrefixes,
  testNetwork,
  useDaemon,
  type TestDaemon,
} from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
let d: TestDaemon;
const STUB = '127.0.0.77';
useDaemon((x) => (d = x), { config: { dns: [STUB] } });

const docker = async (...args: string[]) => {
  const r = await runCli('docker', d, args);
  return r;
};
const ok = async (...args: string[]) => {
  const r = await docker(...args);
  const dead = d.proc.exitCode !== null || d.proc.signalCode !== null;
  assert.equal(
    r.code,
    0,
    `docker ${args.join(' ')}: ${r.stderr}${dead ? `\nberthd died:\n${d.logs().slice(-3000)}` : ''}`,
  );
  return r.stdout.trim();
};

/** A subnet for user networks inside this daemon's own pool (10.N.200+i.0/24). */
const userSubnet = (i: number) => testNetwork(d.root).pool.replace(/\.0\.0\/16$/, `.${200 + i}.0/24`);

function get(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: '/', timeout: 5000 }, (res) => {
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

async function hostPort(name: string): Promise<number> {
  const out = await ok('port', name, '80/tcp');
  return Number(out.split('\n')[0].split(':').pop());
}

/** A DNS stub on loopback: answers every A query with 192.0.2.99. */
function startStub(): Promise<() => void> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => {
    const end = m.indexOf(0, 12) + 5;
    const head = Buffer.from(m.subarray(0, end));
    head.writeUInt16BE(0x8180, 2);
    head.writeUInt16BE(1, 6);
    const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 99]);
    s.send(Buffer.concat([head, rr]), r.port, r.address);
  });
  return new Promise((resolve) => s.bind(53, STUB, () => resolve(() => s.close())));
}

test('default bridge: address, published port on 127.0.0.1, inspect shape, port command', { skip }, async () => {
  await ok('run', '-d', '--name', 'web', '-p', '127.0.0.1::80', '--expose', '81', 'busybox', ...HTTPD);
  const ip = await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web');
  assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
  const ins = JSON.parse(await ok('inspect', 'web'))[0];
  assert.equal(ins.NetworkSettings.Networks.bridge.IPAddress, ip);
  assert.match(ins.NetworkSettings.MacAddress, /^02:42:/);
  assert.ok(ins.NetworkSettings.Gateway);
  assert.equal(ins.NetworkSettings.Ports['81/tcp'], null);
  const port = await hostPort('web');
  assert.ok(port >= 32768);
  await waitFor(async () => (await get(port).catch(() => '')).startsWith('hello-'));
  assert.match(await ok('ps', '--format', '{{.Ports}}', '-f', 'name=web'), new RegExp(`127.0.0.1:${port}->80/tcp`));
  // The container reaches the gateway; the bridge network lists it.
  const net = JSON.parse(await ok('network', 'inspect', 'bridge'))[0];
  assert.equal(net.Containers[ins.Id].IPv4Address.split('/')[0], ip);
  // --add-host host-gateway, --hostname, --dns on the default bridge.
  const out = await ok(
    'run',
    '--rm',
    '--hostname',
    'h1',
    '--domainname',
    'corp',
    '--add-host',
    'gw:host-gateway',
    '--add-host',
    'db2:10.0.0.9',
    '--dns',
    '127.0.0.53',
    '--dns-search',
    'corp',
    '--mac-address',
    '02:42:ac:11:00:99',
    'busybox',
    'sh',
    '-c',
    'cat /etc/resolv.conf /etc/hosts; ip link show eth0',
  );
  assert.match(out, /nameserver 127\.0\.0\.53/);
  assert.match(out, /search corp/);
  assert.match(out, /10\.0\.0\.9\s+db2/);
  assert.match(out, new RegExp(`${net.IPAM.Config[0].Gateway}\\s+gw`));
  assert.match(out, /h1\.corp h1/);
  assert.match(out, /02:42:ac:11:00:99/);
  // Legacy links.
  const linked = await ok('run', '--rm', '--link', 'web:w', 'busybox', 'wget', '-qO-', 'http://w/');
  assert.match(linked, /^hello-/);
  await ok('rm', '-f', 'web');
});

test('user-defined network: DNS names and aliases, PTR, forwarding to the upstream', { skip }, async () => {
  const stop = await startStub();
  try {
    await ok('network', 'create', '--subnet', userSubnet(0), '--label', 'a=b', 'app');
    await ok('run', '-d', '--net', 'app', '--name', 'db', '--network-alias', 'database', 'busybox', 'sleep', '1d');
    const ping = await ok('run', '--rm', '--net', 'app', 'busybox', 'ping', '-c1', '-W2', 'db');
    assert.match(ping, /1 packets received/);
    const ns = await ok('run', '--rm', '--net', 'app', 'busybox', 'nslookup', 'database');
    const dbIp = await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "app").IPAddress}}', 'db');
    assert.ok(ns.includes(dbIp), ns);
    const ptr = await ok('run', '--rm', '--net', 'app', 'busybox', 'nslookup', dbIp);
    assert.match(ptr, /db\.app/);
    const fwd = await ok('run', '--rm', '--net', 'app', 'busybox', 'nslookup', 'outside.example');
    assert.match(fwd, /192\.0\.2\.99/);
    const ls = await ok('network', 'ls', '--filter', 'label=a=b', '--format', '{{.Name}}');
    assert.equal(ls, 'app');
    const rm = await docker('network', 'rm', 'app');
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /has active endpoints/);
    const st = await d.api('DELETE', '/networks/app');
    assert.equal(st.status, 409);
    await ok('rm', '-f', 'db');
    await ok('network', 'rm', 'app');
  } finally {
    stop();
  }
});

test('published ports keep answering after connect and disconnect; live DNS update', { skip }, async () => {
  await ok('network', 'create', '--subnet', userSubnet(1), 'side');
  await ok('run', '-d', '--name', 'pub', '-p', '127.0.0.1::80', 'busybox', ...HTTPD);
  const port = await hostPort('pub');
  await waitFor(async () => (await get(port).catch(() => '')).startsWith('hello-'));
  await ok('run', '-d', '--net', 'side', '--name', 'peer', 'busybox', 'sleep', '1d');
  await ok('network', 'connect', '--alias', 'cache', 'side', 'pub');
  const links = await ok('exec', 'pub', 'ip', '-o', 'addr').catch(() => '');
  void links;
  assert.match(await ok('run', '--rm', '--net', 'side', 'busybox', 'nslookup', 'cache'), /Address:?\s+10\./);
  assert.match(await get(port), /^hello-/);
  await ok('network', 'disconnect', 'side', 'pub');
  assert.match(await get(port), /^hello-/);
  const gone = await docker('run', '--rm', '--net', 'side', 'busybox', 'nslookup', 'cache');
  assert.notEqual(gone.code, 0);
  await ok('rm', '-f', 'pub', 'peer');
  await ok('network', 'rm', 'side');
});

test('30 containers started in parallel on one network: distinct addresses, all resolve each other', {
  skip,
}, async () => {
  await ok('network', 'create', '--subnet', userSubnet(2), 'many');
  const names = Array.from({ length: 30 }, (_, i) => `m${i}`);
  await Promise.all(names.map((n) => ok('run', '-d', '--net', 'many', '--name', n, 'busybox', 'sleep', '1d')));
  const ips = await Promise.all(
    names.map((n) => ok('inspect', '-f', '{{(index .NetworkSettings.Networks "many").IPAddress}}', n)),
  );
  assert.equal(new Set(ips).size, 30);
  const script = names.map((n) => `nslookup ${n} >/dev/null || echo FAIL ${n}`).join('; ');
  const out = await ok('run', '--rm', '--net', 'many', 'busybox', 'sh', '-c', script);
  assert.equal(out, '');
  await ok('rm', '-f', ...names);
  await ok('network', 'rm', 'many');
});

test('berthd SIGKILLed: names resolve, ports forward, no duplicates, nothing left after rm', { skip }, async () => {
  await ok('network', 'create', '--subnet', userSubnet(3), 'crash');
  await ok('run', '-d', '--name', 'k1', '-p', '127.0.0.1::80', 'busybox', ...HTTPD);
  await ok('run', '-d', '--net', 'crash', '--name', 'k2', 'busybox', 'sleep', '1d');
  const port = await hostPort('k1');
  await waitFor(async () => (await get(port).catch(() => '')).startsWith('hello-'));
  await d.stop('SIGKILL');
  await d.start();
  assert.match(await get(port), /^hello-/);
  assert.match(await ok('run', '--rm', '--net', 'crash', 'busybox', 'nslookup', 'k2'), /Address:?\s+10\./);
  // A new container after the restart never gets an address already held.
  await ok('run', '-d', '--net', 'crash', '--name', 'k3', 'busybox', 'sleep', '1d');
  const a = await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "crash").IPAddress}}', 'k2');
  const b = await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "crash").IPAddress}}', 'k3');
  assert.notEqual(a, b);
  await ok('rm', '-f', 'k1', 'k2', 'k3');
  const p = netPrefixes(d.execRoot);
  assert.deepEqual(
    readdirSync('/run/netns').filter((n) => n.startsWith(p.netns)),
    [],
  );
  assert.ok(!execFileSync('/usr/sbin/ip', ['-o', 'link']).toString().includes(p.veth));
  assert.deepEqual(readdirSync(`${d.dataRoot}/network/endpoints`), []);
  const table = execFileSync('/usr/sbin/nft', ['list', 'table', 'ip', testNetwork(d.root).table]).toString();
  assert.ok(!/ports_any[^}]*elements/.test(table), table);
  await ok('network', 'rm', 'crash');
});

test('network modes none, host and container:<name>', { skip }, async () => {
  assert.doesNotMatch(await ok('run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link'), /eth0/);
  const hostLinks = await ok('run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link');
  assert.match(hostLinks, new RegExp(testNetwork(d.root).bridge));
  await ok('run', '-d', '--name', 'tgt', 'busybox', 'sleep', '1d');
  const ip = await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'tgt');
  assert.match(
    await ok('run', '--rm', '--network', 'container:tgt', 'busybox', 'ip', '-o', 'addr'),
    new RegExp(ip.replace(/\./g, '\\.')),
  );
  await ok('rm', '-f', 'tgt');
});

test('bad input: Docker statuses and messages', { skip }, async () => {
  const create = (body: unknown) => d.api('POST', '/networks/create', { body });
  let r = await create({ Name: 'bad1', IPAM: { Config: [{ Subnet: '10.0.0.0/33' }] } });
  assert.equal(r.status, 400);
  assert.match(r.json().message, /invalid CIDR address/);
  r = await create({ Name: 'bad2', IPAM: { Config: [{ Subnet: userSubnet(4), Gateway: '192.0.2.1' }] } });
  assert.equal(r.status, 400);
  assert.match(r.json().message, /no matching subnet for gateway 192\.0\.2\.1/);
  r = await create({ Name: 'ov1', IPAM: { Config: [{ Subnet: userSubnet(5) }] } });
  assert.equal(r.status, 201);
  r = await create({ Name: 'ov2', IPAM: { Config: [{ Subnet: userSubnet(5) }] } });
  assert.equal(r.status, 403);
  assert.match(r.json().message, /Pool overlaps with other one on this address space/);
  r = await create({ Name: 'ov1' });
  assert.equal(r.status, 409);
  assert.match(r.json().message, /network with name ov1 already exists/);
  r = await d.api('POST', '/networks/missing/connect', { body: { Container: 'x' } });
  assert.equal(r.status, 404);
  assert.match(r.json().message, /network missing not found/);
  r = await d.api('POST', '/containers/create', {
    body: { Image: 'busybox', Cmd: ['true'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'a' }] } } },
  });
  assert.equal(r.status, 400);
  assert.match(r.json().message, /invalid port specification: "a"/);
  r = await d.api('POST', '/containers/create', {
    body: { Image: 'busybox', Cmd: ['true'], ExposedPorts: { '70000/tcp': {} } },
  });
  assert.equal(r.status, 400);
  r = await d.api('POST', '/containers/create', {
    body: { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'nonet' } },
  });
  assert.equal(r.status, 404);
  const cli = await docker('run', '--rm', '-p', '70000', 'busybox', 'true');
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /invalid (containerPort|port)/i);
  const cli2 = await docker('run', '--rm', '-p', 'a:b', 'busybox', 'true');
  assert.notEqual(cli2.code, 0);
  // A host port already in use: a clear error and nothing half set up.
  // (A port the kernel just handed out: other test runs on this host share the loopback.)
  const free = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
  await ok('run', '-d', '--name', 'p1', '-p', `127.0.0.1:${free}:80`, 'busybox', 'sleep', '1d');
  const clash = await docker('run', '-d', '--name', 'p2', '-p', `127.0.0.1:${free}:80`, 'busybox', 'sleep', '1d');
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /port is already allocated/);
  await ok('rm', '-f', 'p1', 'p2');
  await ok('network', 'rm', 'ov1');
});

test('berth CLI: network create/ls/inspect/connect/disconnect/rm/prune and port', { skip }, async () => {
  const berth = async (...args: string[]) => {
    const r = await runCli('berth', d, args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await berth('network', 'create', '--subnet', userSubnet(6), 'cli-net');
  assert.match(await berth('network', 'ls'), /cli-net\s+bridge\s+local/);
  await berth('run', '-d', '--name', 'cweb', '-p', '127.0.0.1::80', 'busybox', ...HTTPD);
  assert.match(await berth('port', 'cweb'), /^80\/tcp -> 127\.0\.0\.1:\d+$/m);
  await berth('network', 'connect', '--alias', 'cc', 'cli-net', 'cweb');
  const ins = JSON.parse(await berth('network', 'inspect', 'cli-net'))[0];
  assert.equal(Object.values(ins.Containers as Record<string, { Name: string }>)[0].Name, 'cweb');
  await berth('network', 'disconnect', 'cli-net', 'cweb');
  await berth('rm', '-f', 'cweb');
  assert.match(await berth('network', 'prune', '-f'), /cli-net/);
});

test('--bridge none: no default bridge; containers run with loopback only; user networks still work', {
  skip,
}, async () => {
  const { startDaemon, importBusybox } = await import('./helpers/daemon.ts');
  const nd = await startDaemon({ config: { bridge: 'none' } });
  try {
    await importBusybox(nd);
    assert.equal((await nd.api('GET', '/images/busybox/json')).status, 200);
    const names = (await nd.api('GET', '/networks'))
      .json<{ Name: string }[]>()
      .map((n) => n.Name)
      .sort();
    assert.deepEqual(names, ['host', 'none']);
    assert.throws(
      () => execFileSync('/usr/sbin/ip', ['link', 'show', 'none'], { stdio: 'pipe' }),
      'no link named "none" is made',
    );
    // --pull never: a missing image must fail here, never reach out to a registry.
    const r = await runCli('berth', nd, ['run', '--rm', '--pull', 'never', 'busybox', 'sh', '-c', 'ls /sys/class/net']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'lo\n');
    // A missing network is a 404 too: the CLI must not take it for a missing image and pull.
    const explicit = await runCli('berth', nd, ['run', '--rm', '--network', 'bridge', 'busybox', 'true']);
    assert.notEqual(explicit.code, 0);
    assert.match(explicit.stderr, /network bridge not found/);
    assert.doesNotMatch(explicit.stderr, /Unable to find image/);
    assert.equal((await runCli('berth', nd, ['network', 'create', 'u1'])).code, 0);
    const u = await runCli('berth', nd, [
      'run',
      '--rm',
      '--pull',
      'never',
      '--network',
      'u1',
      'busybox',
      'ls',
      '/sys/class/net',
    ]);
    assert.equal(u.stdout, 'eth0\nlo\n', u.stderr);
  } finally {
    await nd.cleanup();
  }
});
