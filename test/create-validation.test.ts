// Probe finding 4 (issue 14) and the absurd values of issue 11: create refuses nonsense
// with Docker's 400 and its words, and stores nothing — no record, no name, no files — so
// nothing fails later at start. Also the timer overflow of huge stop timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, runCli, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { createContainer } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;
useDaemon((x) => (d = x));

async function containersOnDisk(): Promise<string[]> {
  return (await readdir(join(d.dataRoot, 'containers')).catch(() => [] as string[])).filter((n) =>
    /^[0-9a-f]{64}$/.test(n),
  );
}

/** Creates with `extra` merged in; expects a 400 whose message matches, and nothing stored. */
async function refused(extra: Record<string, unknown>, message: RegExp, headers?: Record<string, string>) {
  const before = await containersOnDisk();
  const name = `bad${Math.random().toString(16).slice(2, 10)}`;
  const body = { Image: 'busybox', Cmd: ['true'], ...extra };
  const r = await d.api(
    'POST',
    `/containers/create?name=${name}`,
    headers ? { raw: Buffer.from(JSON.stringify(body)), headers } : { body },
  );
  assert.equal(r.status, 400, `${JSON.stringify(extra)} → ${r.status} ${r.body}`);
  assert.match(r.json().message, message);
  assert.deepEqual(await containersOnDisk(), before, 'nothing stored');
  const all = (await d.api('GET', '/containers/json?all=1')).json() as { Names: string[] }[];
  assert.ok(!all.some((c) => c.Names.includes(`/${name}`)), 'the name is free');
  // ... and the name can be used at once.
  const ok = await d.api('POST', `/containers/create?name=${name}`, { body: { Image: 'busybox', Cmd: ['true'] } });
  assert.equal(ok.status, 201);
  await d.api('DELETE', `/containers/${name}`);
}

const hc = (h: Record<string, unknown>) => ({ HostConfig: h });

test('probe finding 4: create refuses what Docker refuses, with its 400 and words, storing nothing', {
  skip,
}, async () => {
  await refused(hc({ Memory: -5 }), /^Minimum memory limit allowed is 6MB$/);
  await refused(
    hc({ Memory: 1e30 }),
    /cannot unmarshal number .* into Go struct field HostConfig\.HostConfig\.Memory of type int64/,
  );
  await refused(hc({ Memory: 4 * 1024 * 1024 }), /^Minimum memory limit allowed is 6MB$/);
  await refused(hc({ NanoCpus: -1 }), /^Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/);
  await refused(hc({ NanoCpus: 1000e9 }), /^Range of CPUs is from 0\.01/);
  await refused(hc({ CpusetCpus: '0-999' }), /^Requested CPUs are not available - requested 0-999, available: /);
  await refused(hc({ CpusetCpus: 'abc' }), /^Invalid value abc for cpuset cpus: invalid format: abc$/);
  await refused(hc({ CpusetCpus: '1-9223372036854775807' }), /^Invalid value .* for cpuset cpus: value of out range/);
  await refused(hc({ CpusetMems: '7' }), /^Requested memory nodes are not available - requested 7, available: /);
  await refused(hc({ CapAdd: ['CAP_NOPE'] }), /^invalid CapAdd: unknown capability: "CAP_NOPE"$/);
  await refused(hc({ CapDrop: ['nope'] }), /^invalid CapDrop: unknown capability: "CAP_NOPE"$/);
  await refused(hc({ ExtraHosts: ['nocolon'] }), /^bad format for add-host: "nocolon"$/);
  await refused(hc({ ExtraHosts: ['h:notanip'] }), /^invalid IP address in add-host: "notanip"$/);
  await refused(hc({ OomScoreAdj: 5000 }), /^Invalid value 5000, range for oom score adj is \[-1000, 1000\]$/);
  await refused({ MacAddress: 'zz:zz' }, /^invalid config for network bridge: invalid MAC address zz:zz$/);
  await refused(
    { NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: '02:42:zz' } } } },
    /invalid MAC address:? 02:42:zz$/,
  );
  await refused(hc({ PidMode: 'container:missing' }), /^No such container: missing$/);
  await refused(hc({ IpcMode: 'container:missing' }), /^No such container: missing$/);
  await refused(hc({ VolumesFrom: ['missing'] }), /^No such container: missing$/);
  await refused(hc({ Runtime: 'nope' }), /^unknown or invalid runtime name: nope$/);
  await refused(
    hc({ Mounts: [{ Type: 'nope', Target: '/x' }] }),
    /^invalid mount config for type "nope": mount type unknown$/,
  );
  await refused(hc({ Binds: ['/tmp:/proc'] }), /"\/proc" cannot be mounted because it is not of type proc/);
  await refused(hc({ Binds: ['/tmp:/proc/sys/x'] }), /cannot be mounted because it is inside \/proc/);
  await refused(hc({ Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/proc' }] }), /cannot be mounted/);
  await refused({}, /^Content-Type specified \(text\/plain\) must be 'application\/json'$/, {
    'Content-Type': 'text/plain',
  });
  await refused({ StopTimeout: 1e20 }, /cannot unmarshal number .* into Go struct field .*StopTimeout of type int/);
});

test('absurd resource values and modes are 400s at create (issue 11)', { skip }, async () => {
  await refused(
    hc({ Memory: 10_000_000, MemorySwap: 5_000_000 }),
    /^Minimum memoryswap limit should be larger than memory limit/,
  );
  await refused(hc({ MemorySwap: 50_000_000 }), /^You should always set the Memory limit when using Memoryswap limit/);
  await refused(hc({ MemorySwappiness: 200 }), /^Invalid value: 200, valid memory swappiness range is 0-100$/);
  await refused(hc({ MemoryReservation: 100 }), /^Minimum memory reservation allowed is 6MB$/);
  await refused(
    hc({ Memory: 10_000_000, MemoryReservation: 20_000_000 }),
    /^Minimum memory limit can not be less than memory reservation limit/,
  );
  await refused(hc({ CpuPeriod: 500 }), /^CPU cfs period can not be less than 1ms/);
  await refused(hc({ CpuQuota: 500 }), /^CPU cfs quota can not be less than 1ms/);
  await refused(
    hc({ NanoCpus: 1e9, CpuQuota: 50000 }),
    /^Conflicting options: Nano CPUs and CPU Quota cannot both be set$/,
  );
  await refused(hc({ CpuShares: -5 }), /^invalid CPU shares \(-5\): value must be a positive integer$/);
  await refused(
    hc({ BlkioWeight: 70000 }),
    /cannot unmarshal number 70000 into Go struct field HostConfig\.HostConfig\.BlkioWeight of type uint16/,
  );
  await refused(hc({ IOMaximumBandwidth: 5 }), /^Invalid QoS settings: linux does not support Maximum IO Bandwidth/);
  await refused(hc({ KernelMemory: 50_000_000 }), /^KernelMemory: kernel memory limits are not supported/);
  await refused(hc({ ShmSize: -1 }), /^SHM size can not be less than 0$/);
  await refused(hc({ IpcMode: 'bogus' }), /^invalid IPC mode: bogus$/);
  await refused(hc({ PidMode: 'bogus' }), /^invalid PID mode: bogus$/);
  await refused(hc({ UTSMode: 'bogus' }), /^invalid UTS mode: bogus$/);
  await refused(hc({ CgroupnsMode: 'bogus' }), /^invalid cgroup namespace mode: bogus$/);
  await refused(hc({ Isolation: 'hyperv' }), /^invalid isolation 'hyperv' on linux$/);
  await refused(hc({ Sysctls: { 'kernel.foo': '1' } }), /^sysctl 'kernel\.foo' is not allowed/);
  await refused(hc({ Sysctls: { 'vm.swappiness': '1' } }), /^sysctl 'vm\.swappiness' is not allowed/);
  await refused(hc({ Sysctls: { 'net.nope.nope': '1' } }), /^sysctl 'net\.nope\.nope' does not exist/);
  await refused(
    hc({ NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } }),
    /not allowed in the host's network namespace/,
  );
  await refused(hc({ DeviceCgroupRules: ['x 1:2 rwm'] }), /^invalid device cgroup rule format: 'x 1:2 rwm'$/);
  await refused(
    hc({ DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }),
    /^could not select device driver "" with capabilities: \[\[gpu\]\]$/,
  );
  await refused(
    hc({ Devices: [{ PathOnHost: '/dev/nope', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] }),
    /^error gathering device information while adding custom device "\/dev\/nope": no such file or directory$/,
  );
  await refused(
    hc({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwz' }] }),
    /^invalid device mode: rwz$/,
  );
  // A device path that is a symlink into /etc is followed, then refused: never a host file inside.
  const link = join(d.root, 'sneaky-dev');
  await symlink('/etc/shadow', link);
  try {
    await refused(
      hc({ Devices: [{ PathOnHost: link, PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] }),
      /^error gathering device information while adding custom device ".*sneaky-dev": not a device node$/,
    );
  } finally {
    await rm(link, { force: true });
  }
  await refused(hc({ BlkioDeviceWriteBps: [{ Path: '/etc/passwd', Rate: 1024 }] }), /not a block device/);
  await refused(
    { Healthcheck: { Test: ['CMD', 'true'], Interval: 100 } },
    /^Interval in Healthcheck cannot be less than 1ms$/,
  );
  await refused({ Healthcheck: { Test: ['CMD', 'true'], Retries: -1 } }, /^Retries in Healthcheck cannot be negative$/);
  await refused(
    hc({ AutoRemove: true, RestartPolicy: { Name: 'always' } }),
    /^can't create 'AutoRemove' container with restart policy$/,
  );
});

test('the docker CLI shows these refusals and creates nothing', { skip }, async () => {
  const before = await containersOnDisk();
  for (const args of [
    ['--memory', '4m'],
    ['--cpus', '1000'],
    ['--cpuset-cpus', '0-999'],
    ['--cap-add', 'CAP_NOPE'],
    ['--oom-score-adj', '5000'],
    ['--runtime', 'nope'],
    ['--pid', 'container:missing'],
    ['--sysctl', 'kernel.foo=1'],
  ]) {
    const r = await runCli('docker', d, ['create', ...args, 'busybox', 'true']);
    assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, /Error response from daemon|invalid/, r.stderr);
  }
  assert.deepEqual(await containersOnDisk(), before);
});

test('a huge stop timeout waits, as asked, instead of overflowing into an instant kill', { skip }, async () => {
  const id = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done'],
  });
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const big = await d.api('POST', `/containers/${id}/stop?t=100000000000000000000`);
  assert.equal(big.status, 400);
  assert.match(big.json().message, /value out of range/);
  // Within int64 but past Node's 2^31 ms: the container handles TERM and exits 7, never killed.
  const r = await d.api('POST', `/containers/${id}/stop?t=9999999999`);
  assert.equal(r.status, 204);
  const st = (await d.api('GET', `/containers/${id}/json`)).json().State;
  assert.equal(st.ExitCode, 7, 'stopped by its TERM handler, not SIGKILLed');
  await d.api('DELETE', `/containers/${id}?force=1`);
});
