import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseFlags, readConfigFile, DEFAULT_TLS_HOST } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
let n = 0;
const file = (doc: unknown) => {
  const p = join(dir, `c${n++}.json`);
  writeFileSync(p, JSON.stringify(doc));
  return p;
};

// Every key dockerd's daemon.json documents, with a typical value.
const DOCUMENTED: Record<string, unknown> = {
  'allow-direct-routing': false,
  'authorization-plugins': [],
  bip: '172.30.0.1/16',
  bip6: '',
  bridge: 'br-x',
  'bridge-accept-fwmark': '',
  builder: { gc: { enabled: true } },
  'cdi-spec-dirs': [],
  'cgroup-parent': '/x',
  containerd: '/run/containerd/containerd.sock',
  'containerd-namespace': 'docker',
  'containerd-plugin-namespace': 'docker-plugins',
  'cpu-rt-period': 0,
  'cpu-rt-runtime': 0,
  'cri-containerd': false,
  'data-root': '/var/lib/x',
  debug: true,
  'default-address-pools': [{ base: '10.10.0.0/16', size: 24 }],
  'default-cgroupns-mode': 'private',
  'default-gateway': '',
  'default-gateway-v6': '',
  'default-ipc-mode': 'shareable',
  'default-network-opts': {},
  'default-runtime': 'runc',
  'default-shm-size': '64M',
  'default-ulimits': { nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } },
  dns: [],
  'dns-opts': [],
  'dns-search': [],
  'exec-opts': [],
  'exec-root': '/run/x',
  experimental: false,
  features: { cdi: true },
  'firewall-backend': 'iptables',
  'fixed-cidr': '',
  'fixed-cidr-v6': '',
  group: 'docker',
  'host-gateway-ip': '',
  'host-gateway-ips': [],
  hosts: [],
  'http-proxy': '',
  'https-proxy': '',
  'no-proxy': '',
  proxies: {},
  icc: false,
  init: false,
  'init-path': '/usr/libexec/docker-init',
  'insecure-registries': [],
  ip: '0.0.0.0',
  'ip-forward': false,
  'ip-forward-no-drop': false,
  'ip-masq': false,
  iptables: false,
  ip6tables: false,
  ipv6: false,
  labels: [],
  'live-restore': true,
  'log-driver': 'json-file',
  'log-format': 'text',
  'log-level': 'info',
  'log-opts': { 'max-size': '10m' },
  'max-concurrent-downloads': 3,
  'max-concurrent-uploads': 5,
  'max-download-attempts': 5,
  'metrics-addr': '127.0.0.1:9323',
  'min-api-version': '1.24',
  mtu: 1500,
  'network-control-plane-mtu': 1500,
  'network-diagnostic-port': 0,
  'no-new-privileges': false,
  'node-generic-resources': [],
  'nri-opts': {},
  'oom-score-adjust': 0,
  pidfile: '',
  'raw-logs': false,
  'registry-mirrors': [],
  'resolv-conf': '',
  rootless: false,
  runtimes: { cc: { path: '/usr/bin/runc' } },
  'seccomp-profile': '',
  'selinux-enabled': false,
  'shutdown-timeout': 15,
  'storage-driver': 'overlay2',
  'storage-opts': [],
  'swarm-default-advertise-addr': '',
  'swarm-raft-election-tick': 0,
  'swarm-raft-heartbeat-tick': 0,
  tls: true,
  tlscacert: '',
  tlscert: '',
  tlskey: '',
  tlsverify: true,
  'userland-proxy': false,
  'userland-proxy-path': '/usr/libexec/docker-proxy',
  'userns-remap': 'default',
  'allow-nondistributable-artifacts': [],
};

test('every documented dockerd daemon.json key is honoured or refused by name with a reason', async () => {
  for (const [key, value] of Object.entries(DOCUMENTED)) {
    try {
      await readConfigFile(file({ [key]: value }), true);
    } catch (err) {
      const msg = (err as Error).message;
      assert.match(msg, new RegExp(`${key}(=\\S+)? is not supported: \\S`), `${key}: ${msg}`);
      assert.doesNotMatch(msg, /don't match any configuration option/, key);
    }
  }
});

test('keys that describe what Berth always does are accepted with that value only', async () => {
  await readConfigFile(file({ 'live-restore': true, 'userland-proxy': false, 'storage-driver': 'overlay2' }), true);
  await assert.rejects(
    readConfigFile(file({ 'live-restore': false }), true),
    /live-restore=false is not supported: berthd always keeps containers running/,
  );
  await assert.rejects(
    readConfigFile(file({ 'shutdown-timeout': 15 }), true),
    /shutdown-timeout is not supported: berthd never stops containers when it shuts down/,
  );
  // userns-remap is honoured now: taken as given (the user and ranges are resolved at start-up).
  assert.equal((await readConfigFile(file({ 'userns-remap': 'default' }), true)).values.usernsRemap, 'default');
  await assert.rejects(readConfigFile(file({ 'no-such': 1 }), true), /don't match any configuration option: no-such/);
});

test('TLS flags as dockerd: --tlsverify implies --tls, --tls alone verifies, explicit false is intent', async () => {
  const cfg = file({});
  const env = { DOCKER_CERT_PATH: dir };
  const a = (await loadConfig(['--config-file', cfg, '--tlsverify=false'], env)).config;
  assert.equal(a.tls, true);
  assert.equal(a.tlsVerify, false);
  assert.equal(a.tlsExplicit, true);
  assert.deepEqual(a.hosts, [DEFAULT_TLS_HOST]);
  const b = (await loadConfig(['--config-file', cfg, '--tls'], env)).config;
  assert.equal(b.tlsVerify, true);
  assert.equal(b.tlsCaCert, join(dir, 'ca.pem'));
  const c = (await loadConfig(['--config-file', cfg, '-H', 'tcp://0.0.0.0:2375', '--tls=false'], env)).config;
  assert.equal(c.tls, false);
  assert.equal(c.tlsExplicit, true);
  const d = (await loadConfig(['--config-file', file({ tlsverify: true })], env)).config;
  assert.equal(d.tls, true);
  assert.equal(d.tlsVerify, true);
  await assert.rejects(
    loadConfig(['--config-file', file({ tls: true }), '--tls']),
    /both as a flag and in the configuration file: tls/,
  );
});

test('flags: lists accumulate, refused dockerd flags say why, fd:// addresses are checked', () => {
  const f = parseFlags([
    '--label',
    'a=1',
    '--label',
    'b=2',
    '--default-ulimit',
    'nofile=10:20',
    '--add-runtime',
    'x=/bin/x',
  ]);
  assert.deepEqual(f.values.labels, ['a=1', 'b=2']);
  assert.deepEqual(f.values.defaultUlimits, { nofile: { Name: 'nofile', Soft: 10, Hard: 20 } });
  assert.deepEqual(f.values.runtimes, { x: { path: '/bin/x' } });
  assert.throws(() => parseFlags(['--shutdown-timeout', '15']), /--shutdown-timeout is not supported/);
  assert.equal(parseFlags(['--userns-remap', 'testuser:testgroup']).values.usernsRemap, 'testuser:testgroup');
  assert.throws(() => parseFlags(['--default-ulimit', 'nofile=20:10']), /soft limit must be less than or equal/);
  assert.throws(() => parseFlags(['-H', 'fd://x']), /should be a number/);
  assert.deepEqual(parseFlags(['-H', 'fd://', '-H', 'fd://3']).values.hosts, ['fd://', 'fd://3']);
  assert.throws(() => parseFlags(['--add-runtime', 'runc=/x']), /runtime name 'runc' is reserved/);
});

test('IPv6 of the default bridge: --ipv6 (bare or =false), fixed-cidr-v6, v6 pools checked', async () => {
  assert.equal(parseFlags(['--ipv6']).values.ipv6, true);
  assert.equal(parseFlags(['--ipv6=false']).values.ipv6, false);
  assert.equal(parseFlags(['--fixed-cidr-v6', 'fd00:1::/64']).values.fixedCidrV6, 'fd00:1::/64');
  const r = await readConfigFile(
    file({ ipv6: true, 'fixed-cidr-v6': 'fd00:2::/64', 'default-address-pools': [{ base: 'fd00:3::/48', size: 64 }] }),
    true,
  );
  assert.equal(r.values.ipv6, true);
  assert.equal(r.values.fixedCidrV6, 'fd00:2::/64');
  await assert.rejects(
    readConfigFile(file({ 'default-address-pools': [{ base: 'fd00:3::/48', size: 40 }] }), true),
    /invalid default-address-pools size 40/,
  );
  // dockerd's ip-forward=true sets a host sysctl berthd never touches: refused, not ignored.
  await assert.rejects(readConfigFile(file({ 'ip-forward': true }), true), /ip-forward=true is not supported/);
});
