// A pod's container through the real crictl, for what its config asks beyond a command:
// an image volume (KEP-4639) with a subpath, read-only, reported in ContainerStatus; a host
// device; its stop signal; a pod's run-as user for its infra; unified (cgroup v2) files; and
// the fields Berth refuses by name (a writable image volume, CDI devices, ambient
// capabilities). The image is the one the Engine API imported: the CRI sees the same store,
// so no registry is needed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, repoRoot, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { bridgeConfList } from './helpers/cni.ts';

const crictlPath = join(repoRoot, '.tools', 'bin', 'crictl');
const skip = !isRoot || !existsSync(crictlPath) || !existsSync('/usr/lib/cni/bridge');
const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

const root = mkdtempSync(join(tmpdir(), 'berth-test-'));
const h = createHash('sha256').update(root).digest();
const bridge = `bv${h.toString('hex').slice(0, 8)}`;
const confDir = join(root, 'cni');
mkdirSync(confDir, { recursive: true });
writeFileSync(
  join(confDir, '10-test.conflist'),
  JSON.stringify(bridgeConfList({ bridge, subnet: `10.88.${h[0]}.0/24`, ipamDir: join(root, 'cni-ipam') })),
);
const image = 'docker.io/library/busybox:latest';

let d: TestDaemon;
after(() => {
  if (skip || !d) return;
  for (const p of crictl(['pods', '-q'], true).split('\n').filter(Boolean)) crictl(['rmp', '-f', p], true);
  spawnSync('/usr/sbin/ip', ['link', 'del', bridge]);
});
useDaemon((x) => (d = x), { root, extraArgs: ['--cri', '--cni-conf-dir', confDir] });

function crictl(args: string[], allowFail = false): string {
  const sock = `unix://${d.execRoot}/cri.sock`;
  const r = spawnSync(crictlPath, ['-r', sock, '-i', sock, '--timeout', '60s', ...args], { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`crictl ${args.join(' ')}: ${r.status}: ${r.stderr}`);
  return allowFail && r.status !== 0 ? r.stderr : r.stdout.trim();
}
function json(name: string, v: unknown): string {
  const p = join(root, name);
  writeFileSync(p, JSON.stringify(v));
  return p;
}
const ctrConfig = (name: string, extra: object) => ({
  metadata: { name },
  image: { image },
  command: ['sh', '-c', "trap 'exit 7' USR1; while true; do sleep 0.2; done"],
  log_path: `${name}.log`,
  ...extra,
});

test('a container with an image volume, a device and a stop signal; refused fields named', { skip }, async () => {
  const podJson = json('pod.json', {
    metadata: { name: 'vol', namespace: 'berth-test', uid: 'uid-vol', attempt: 1 },
    log_directory: join(root, 'logs'),
  });
  const pod = crictl(['runp', podJson]);
  const imageId = JSON.parse(crictl(['inspecti', image])).status.id;

  const ctrJson = json(
    'ctr.json',
    ctrConfig('user', {
      mounts: [{ container_path: '/mnt/iv', image: { image }, readonly: true, image_sub_path: 'bin' }],
      devices: [{ host_path: '/dev/null', container_path: '/dev/mynull', permissions: 'rw' }],
      stop_signal: 29, // SIGUSR1 (crictl reads the enum's number)
    }),
  );
  const ctr = crictl(['create', pod, ctrJson, podJson]);
  crictl(['start', ctr]);

  // The image's bin/ at the path, read-only, its binaries runnable.
  assert.match(crictl(['exec', '-s', ctr, 'ls', '/mnt/iv']), /busybox/);
  assert.equal(crictl(['exec', '-s', ctr, '/mnt/iv/busybox', 'echo', 'ran']), 'ran');
  assert.match(crictl(['exec', '-s', ctr, 'sh', '-c', 'touch /mnt/iv/x 2>&1; true']), /Read-only file system/);
  const mount = JSON.parse(crictl(['inspect', ctr])).status.mounts.find(
    (m: { containerPath: string }) => m.containerPath === '/mnt/iv',
  );
  assert.equal(mount.image.imageRef, imageId);
  assert.equal(mount.imageSubPath, 'bin');
  assert.equal(mount.readonly, true);

  // The host's /dev/null as /dev/mynull: a character device 1,3 the container can write.
  assert.match(crictl(['exec', '-s', ctr, 'ls', '-l', '/dev/mynull']), /^c.* 1,\s+3 /);
  assert.equal(crictl(['exec', '-s', ctr, 'sh', '-c', 'echo x > /dev/mynull && echo wrote']), 'wrote');

  // Stopped with its own signal: the trap's exit code, well before the timeout.
  const t0 = performance.now();
  crictl(['stop', '--timeout', '20', ctr]);
  assert.ok(performance.now() - t0 < 15_000, 'stopped by SIGUSR1, not by the timeout');
  assert.equal(JSON.parse(crictl(['inspect', ctr])).status.exitCode, 7);
  crictl(['rm', ctr]);

  // Refused by name, nothing created.
  const refused = (name: string, extra: object, pattern: RegExp) => {
    const out = crictl(['create', pod, json(`${name}.json`, ctrConfig(name, extra)), podJson], true);
    assert.match(out, pattern);
  };
  refused('rw', { mounts: [{ container_path: '/mnt/iv', image: { image }, readonly: false }] }, /must be read-only/);
  refused(
    'nosub',
    { mounts: [{ container_path: '/mnt/iv', image: { image }, readonly: true, image_sub_path: 'nope' }] },
    /nope/,
  );
  refused('cdi', { CDI_devices: [{ name: 'vendor.com/gpu=0' }] }, /CDI devices \(vendor\.com\/gpu=0\)/);
  refused(
    'ambient',
    { linux: { security_context: { capabilities: { add_ambient_capabilities: ['NET_RAW'] } } } },
    /ambient capabilities/,
  );
  if (!cgroupV2)
    refused(
      'unified',
      { linux: { resources: { unified: { 'memory.swap.max': '0' } } } },
      /unified resources \(memory\.swap\.max\) are cgroup v2 files: this host's cgroups are v1/,
    );
  assert.equal(crictl(['ps', '-aq']), '');
  crictl(['rmp', '-f', pod]);
});

// kubelet on a cgroup v2 host sends memory.swap.max in `unified` for every container.
test('unified (cgroup v2) files reach the container’s cgroup and its status', {
  skip: skip || (!cgroupV2 && 'needs a cgroup v2 host (this one is v1: the refusal is tested above)'),
}, async () => {
  const podJson = json('pod-u.json', {
    metadata: { name: 'unified', namespace: 'berth-test', uid: 'uid-unified', attempt: 1 },
    log_directory: join(root, 'logs'),
  });
  const pod = crictl(['runp', podJson]);
  const ctrJson = json(
    'ctr-u.json',
    ctrConfig('u', { linux: { resources: { unified: { 'memory.high': String(96 << 20) } } } }),
  );
  const ctr = crictl(['create', pod, ctrJson, podJson]);
  crictl(['start', ctr]);
  // A private cgroup namespace: the container's own cgroup is its /sys/fs/cgroup.
  assert.equal(crictl(['exec', '-s', ctr, 'cat', '/sys/fs/cgroup/memory.high']), String(96 << 20));
  const st = JSON.parse(crictl(['inspect', ctr])).status;
  assert.deepEqual(st.resources?.linux?.unified, { 'memory.high': String(96 << 20) });
  crictl(['rmp', '-f', pod]);
});

test("a pod's run-as user, group and supplemental groups are its infra's", { skip }, async () => {
  const podJson = json('pod-user.json', {
    metadata: { name: 'user', namespace: 'berth-test', uid: 'uid-user', attempt: 1 },
    log_directory: join(root, 'logs'),
    linux: {
      security_context: { run_as_user: { value: 1234 }, run_as_group: { value: 2345 }, supplemental_groups: [3456] },
    },
  });
  const pod = crictl(['runp', podJson]);
  // In the pod's PID namespace (POD: 0, the proto's default), pid 1 is the infra.
  const ctr = crictl([
    'create',
    pod,
    json('ctr-user.json', ctrConfig('peek', { linux: { security_context: { namespace_options: { pid: 0 } } } })),
    podJson,
  ]);
  crictl(['start', ctr]);
  const status = crictl(['exec', '-s', ctr, 'cat', '/proc/1/status']);
  assert.match(status, /^Uid:\s+1234\s/m);
  assert.match(status, /^Gid:\s+2345\s/m);
  assert.match(status, /^Groups:\s+3456\s*$/m);
  crictl(['rmp', '-f', pod]);
});
