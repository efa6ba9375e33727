// Issue 12: Berth beside Docker on one host. A real dockerd (Debian docker.io) and the
// berthd under test run in a network namespace this test makes (a complete host for
// netfilter, so Docker's FORWARD DROP never reaches the host or other tests). br_netfilter
// is built into this kernel (bridge-nf-call-iptables is 1 in every namespace): bridged
// frames between containers pass the iptables FORWARD chain, which Docker sets to DROP.
// Checked: berthd adds its accept chain (jumped to from DOCKER-USER) when Docker appears,
// containers reach each other and a published port through the host, Docker's own rules
// are never touched, a SIGKILL + restart leaves no duplicates, a flush of the filter table
// (Docker restarting after a firewall reload) is repaired quickly (timed), and a clean stop
// removes our chain. Traffic stays inside the namespace's bridges.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  importBusybox,
  isRoot,
  hasDockerCli,
  runCli,
  startDaemon,
  testNetwork,
  type TestDaemon,
} from './helpers/daemon.ts';
import {
  deleteNetns,
  hasDockerd,
  inNetns,
  makeNetns,
  removeDockerdRoot,
  startDockerd,
  type Dockerd,
} from './helpers/netns.ts';
import { waitFor } from './helpers/containers.ts';

const skip = !isRoot
  ? 'needs root'
  : !hasDockerCli()
    ? 'needs the docker CLI'
    : !hasDockerd()
      ? 'needs dockerd (Debian docker.io, scripts/setup installs it)'
      : false;

let ns = '';
let d: TestDaemon;
let dockerd: Dockerd | undefined;
// The daemon's life is managed here rather than by useDaemon: whatever fails, dockerd is
// stopped and the namespace deleted after the daemon's own clean-up.
before(
  async () => {
    if (skip) return;
    ns = makeNetns('bcx');
    d = await startDaemon({ netns: ns });
    await importBusybox(d);
  },
  { timeout: 60_000 },
);
after(async () => {
  try {
    if (d) {
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) await d.start().catch(() => {});
      await d.cleanup();
    }
  } finally {
    await dockerd?.stop();
    if (dockerd) await removeDockerdRoot(dockerd);
    if (ns) deleteNetns(ns);
  }
});

const ok = async (...args: string[]) => {
  const r = await runCli('docker', d, args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.logs().slice(-2000)}`);
  return r.stdout.trim();
};
const chain = () => `BERTH-${testNetwork(d.root).bridge}`;
const filterRules = () => inNetns(ns, 'iptables-save', ['-t', 'filter']);
/** Docker's part of the filter table: everything but our chain and the jumps to it. */
const dockersRules = (saved: string) =>
  saved
    .split('\n')
    .filter((l) => !l.startsWith('#') && !l.includes(chain()))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, '')) // packet counters move
    .join('\n');

let clientNetns = '';
/**
 * An HTTP GET from the client container's network namespace with the host's busybox nc:
 * it needs no berthd (which one test stops) and no container process.
 */
async function fetchFrom(host: string, port = 80): Promise<string> {
  try {
    return execFileSync(
      'nsenter',
      [
        `--net=${clientNetns}`,
        '--',
        '/bin/busybox',
        'sh',
        '-c',
        `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 },
    ).toString();
  } catch {
    return '';
  }
}

let webIp = '';
let gateway = '';
let published = 0;

test('without Docker: no filter table is made, containers reach each other', { skip }, async () => {
  await ok(
    'run',
    '-d',
    '--name',
    'web',
    '-p',
    '8080:80',
    'busybox',
    'sh',
    '-c',
    'mkdir -p /www && echo coexist > /www/index.html && exec httpd -f -p 80 -h /www',
  );
  webIp = await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web');
  gateway = await ok('inspect', '-f', '{{.NetworkSettings.Gateway}}', 'web');
  published = 8080;
  await ok('run', '-d', '--name', 'client', 'busybox', 'sleep', '1d');
  clientNetns = await ok('inspect', '-f', '{{.NetworkSettings.SandboxKey}}', 'client');
  await waitFor(async () => (await fetchFrom(webIp)).includes('coexist'), 20_000, 200);
  assert.doesNotMatch(inNetns(ns, 'nft', ['list', 'tables']), /table ip filter/);
});

test('dockerd starting afterwards sets FORWARD DROP; berthd lets its bridge through DOCKER-USER', {
  skip,
}, async (t) => {
  // Docker sets FORWARD DROP when it turns forwarding on itself: start from off (a new
  // namespace inherits the host's IPv4 setting, which other programs may have turned on).
  inNetns(ns, 'sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']);
  const t0 = Date.now();
  dockerd = await startDockerd(ns);
  await waitFor(async () => /^:FORWARD DROP /m.test(filterRules()), 30_000, 100);
  await waitFor(async () => filterRules().includes(`-A DOCKER-USER -j ${chain()}`), 10_000, 20);
  t.diagnostic(`accept chain in place ${Date.now() - t0} ms after dockerd was started`);
  const saved = filterRules();
  assert.equal(saved.split('\n').filter((l) => l.endsWith(`-j ${chain()}`)).length, 1, saved);
  const bridge = testNetwork(d.root).bridge;
  for (const r of [
    `-A ${chain()} -o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${chain()} -o ${bridge} -m conntrack --ctstate DNAT -j ACCEPT`,
    `-A ${chain()} -i ${bridge} -j ACCEPT`,
  ])
    assert.ok(saved.includes(r), `${r} missing:\n${saved}`);
  // Container to container by IP, and to a published port through the host's address.
  assert.match(await fetchFrom(webIp), /coexist/);
  assert.match(await fetchFrom(gateway, published), /coexist/);
  // Docker's own chains are as Docker made them.
  for (const c of ['DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER'])
    assert.match(saved, new RegExp(`^:${c} `, 'm'));
  assert.match(saved, /^-A FORWARD -j DOCKER-USER$/m);
  assert.match(saved, /^-A DOCKER-USER -j RETURN$/m);
});

test('without our chain Docker drops the traffic; berthd puts it back when it is removed', { skip }, async (t) => {
  // Take the jump away while berthd cannot notice (SIGSTOP): the rule is what lets traffic in.
  d.proc.kill('SIGSTOP');
  try {
    inNetns(ns, 'iptables', ['-D', 'DOCKER-USER', '-j', chain()]);
    assert.doesNotMatch(await fetchFrom(webIp), /coexist/);
  } finally {
    d.proc.kill('SIGCONT');
  }
  await waitFor(async () => filterRules().includes(`-A DOCKER-USER -j ${chain()}`), 10_000, 20);
  assert.match(await fetchFrom(webIp), /coexist/);
  // Awake, berthd notices a removal at once (nft monitor): timed from the deletion.
  const t0 = Date.now();
  inNetns(ns, 'iptables', ['-F', 'DOCKER-USER']);
  await waitFor(async () => filterRules().includes(`-A DOCKER-USER -j ${chain()}`), 10_000, 5);
  t.diagnostic(`DOCKER-USER flushed: our jump back after ${Date.now() - t0} ms`);
  assert.match(await fetchFrom(webIp), /coexist/);
});

test('berthd SIGKILLed and restarted: one chain, one jump, traffic flows', { skip }, async () => {
  const before = filterRules();
  await d.stop('SIGKILL');
  await d.start();
  const saved = filterRules();
  assert.equal(saved.split('\n').filter((l) => l.endsWith(`-j ${chain()}`)).length, 1, saved);
  assert.equal(saved.split('\n').filter((l) => l.startsWith(`:${chain()} `)).length, 1, saved);
  assert.equal(saved.split('\n').filter((l) => l.startsWith(`-A ${chain()} `)).length, 3, saved);
  assert.equal(dockersRules(saved), dockersRules(before));
  // No monitor of the killed daemon lingers (it had a parent-death signal; its exit may
  // take a moment). Processes of the namespace may exit between the listing and the read.
  const cmdline = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  let monitors: string[] = [];
  await waitFor(async () => {
    monitors = execFileSync('/usr/sbin/ip', ['netns', 'pids', ns])
      .toString()
      .split('\n')
      .filter((pid) => pid && cmdline(pid).startsWith('/usr/sbin/nft\0-j\0monitor'));
    return monitors.length === 1;
  }, 10_000).catch(() => {});
  assert.equal(monitors.length, 1, `nft monitors in the namespace: ${monitors.join(' ')}`);
  assert.match(await fetchFrom(webIp), /coexist/);
});

test('Docker restarting after a flush of the filter table: berthd repairs it at once', { skip }, async (t) => {
  await dockerd!.stop();
  // A firewall reload: the filter table is replaced in one go (FORWARD still DROP, no
  // DOCKER-USER), then Docker starts again.
  const t0 = Date.now();
  inNetns(
    ns,
    'iptables-restore',
    [],
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
  );
  await waitFor(async () => filterRules().includes(`-A FORWARD -j ${chain()}`), 10_000, 10);
  t.diagnostic(`after a flush, our accept chain was back in ${Date.now() - t0} ms`);
  assert.match(await fetchFrom(webIp), /coexist/);
  const root = dockerd!.root;
  inNetns(ns, 'sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']);
  const t1 = Date.now();
  dockerd = await startDockerd(ns, root);
  await waitFor(async () => /^:FORWARD DROP /m.test(filterRules()), 30_000, 50);
  // With DOCKER-USER back, our jump moves there (and only there).
  await waitFor(async () => filterRules().includes(`-A DOCKER-USER -j ${chain()}`), 10_000, 10);
  t.diagnostic(`dockerd restarted; our jump in DOCKER-USER ${Date.now() - t1} ms after its start`);
  const saved = filterRules();
  assert.equal(saved.split('\n').filter((l) => l.endsWith(`-j ${chain()}`)).length, 1, saved);
  assert.match(await fetchFrom(webIp), /coexist/);
  assert.match(await fetchFrom(gateway, published), /coexist/);
});

test('our own nftables table deleted by someone else comes back (published ports work again)', { skip }, async (t) => {
  const table = `berth-${testNetwork(d.root).bridge}`;
  const t0 = Date.now();
  inNetns(ns, 'nft', ['delete', 'table', 'ip', table]);
  await waitFor(async () => inNetns(ns, 'nft', ['list', 'tables']).includes(`table ip ${table}\n`), 10_000, 5);
  t.diagnostic(`our nftables table back ${Date.now() - t0} ms after its deletion`);
  assert.match(await fetchFrom(gateway, published), /coexist/);
});

test('a legacy iptables filter table with FORWARD DROP gets our chain too (polled)', { skip }, async (t) => {
  const t0 = Date.now();
  inNetns(ns, 'iptables-legacy', ['-P', 'FORWARD', 'DROP']);
  const legacy = () => inNetns(ns, 'iptables-legacy-save', ['-t', 'filter']);
  await waitFor(async () => legacy().includes(`-A FORWARD -j ${chain()}`), 15_000, 50);
  t.diagnostic(`legacy table: our chain in place after ${Date.now() - t0} ms (poll)`);
  assert.equal(
    legacy()
      .split('\n')
      .filter((l) => l.startsWith(`-A ${chain()} `)).length,
    3,
  );
  assert.match(await fetchFrom(webIp), /coexist/);
});

test('an ip6tables filter table with FORWARD DROP (Docker with ip6tables) gets our chain: IPv6 flows', {
  skip,
}, async (t) => {
  await ok('network', 'create', '--ipv6', '--subnet', '10.99.1.0/24', '--subnet', 'fd99:1:2:3::/64', 'dual');
  await ok(
    'run',
    '-d',
    '--name',
    'web6',
    '--network',
    'dual',
    '--ip6',
    'fd99:1:2:3::10',
    'busybox',
    'sh',
    '-c',
    'mkdir -p /www && echo coexist6 > /www/index.html && exec httpd -f -p 80 -h /www',
  );
  await ok('network', 'connect', 'dual', 'client');
  const t0 = Date.now();
  inNetns(ns, 'ip6tables', ['-P', 'FORWARD', 'DROP']);
  const rules6 = () => inNetns(ns, 'ip6tables-save', ['-t', 'filter']);
  await waitFor(async () => rules6().includes(`-A FORWARD -j ${chain()}`), 10_000, 10);
  t.diagnostic(`ip6 filter table: our chain in place after ${Date.now() - t0} ms`);
  const dualBridge = `br-${JSON.parse(await ok('network', 'inspect', 'dual'))[0].Id.slice(0, 12)}`;
  assert.ok(rules6().includes(`-A ${chain()} -i ${dualBridge} -j ACCEPT`));
  await waitFor(async () => (await fetchFrom('fd99:1:2:3::10')).includes('coexist6'), 10_000, 200);
});

test('clean stop removes our chain and leaves Docker’s rules as they were', { skip }, async () => {
  const before = filterRules();
  await d.stop('SIGTERM');
  try {
    const saved = filterRules();
    assert.ok(!saved.includes(chain()), saved);
    assert.ok(!inNetns(ns, 'iptables-legacy-save', ['-t', 'filter']).includes(chain()));
    assert.ok(!inNetns(ns, 'ip6tables-save', ['-t', 'filter']).includes(chain()));
    assert.equal(dockersRules(saved), dockersRules(before));
  } finally {
    await d.start(); // the harness removes the containers through it
  }
  await waitFor(async () => filterRules().includes(`-A DOCKER-USER -j ${chain()}`), 10_000, 20);
});
