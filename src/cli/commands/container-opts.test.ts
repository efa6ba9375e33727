// The create request body for a flag set, compared with what docker CLI v27
// sends for the same flags (cli/command/container/opts.go parse()).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../flags.ts';
import { buildCreateSpec, createBody } from './container-opts.ts';
import { containerFlags, createOnlyFlags } from './container-flags.ts';

const flags = [...containerFlags, ...createOnlyFlags, { name: 'detach', short: 'd', type: 'bool' as const }];

function body(argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) {
  const p = parseFlags(flags, argv, { interspersed: false });
  const [image, ...cmd] = p.args;
  return createBody(
    buildCreateSpec(p.values, p.changed, image!, cmd, {
      env,
      cwd: '/work',
      readFile: (f) => files[f] ?? assert.fail(`no ${f}`),
    }),
  );
}

const endpoint = {
  IPAMConfig: null,
  Links: null,
  Aliases: null,
  MacAddress: '',
  DriverOpts: null,
  NetworkID: '',
  EndpointID: '',
  Gateway: '',
  IPAddress: '',
  IPPrefixLen: 0,
  IPv6Gateway: '',
  GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0,
  DNSNames: null,
};

test("`run busybox` sends docker's default body, field order included", () => {
  const b = body(['busybox']);
  const expected = {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: 'busybox',
    Volumes: {},
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: {},
    HostConfig: {
      Binds: null,
      ContainerIDFile: '',
      LogConfig: { Type: '', Config: {} },
      NetworkMode: 'default',
      PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      VolumeDriver: '',
      VolumesFrom: null,
      ConsoleSize: [0, 0],
      CapAdd: null,
      CapDrop: null,
      CgroupnsMode: '',
      Dns: [],
      DnsOptions: [],
      DnsSearch: [],
      ExtraHosts: null,
      GroupAdd: null,
      IpcMode: '',
      Cgroup: '',
      Links: null,
      OomScoreAdj: 0,
      PidMode: '',
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      UTSMode: '',
      UsernsMode: '',
      ShmSize: 0,
      Isolation: '',
      CpuShares: 0,
      Memory: 0,
      NanoCpus: 0,
      CgroupParent: '',
      BlkioWeight: 0,
      BlkioWeightDevice: [],
      BlkioDeviceReadBps: [],
      BlkioDeviceWriteBps: [],
      BlkioDeviceReadIOps: [],
      BlkioDeviceWriteIOps: [],
      CpuPeriod: 0,
      CpuQuota: 0,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: '',
      CpusetMems: '',
      Devices: [],
      DeviceCgroupRules: null,
      DeviceRequests: null,
      MemoryReservation: 0,
      MemorySwap: 0,
      MemorySwappiness: -1,
      OomKillDisable: false,
      PidsLimit: 0,
      Ulimits: null,
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      MaskedPaths: null,
      ReadonlyPaths: null,
    },
    NetworkingConfig: { EndpointsConfig: { default: endpoint } },
  };
  assert.deepEqual(b, expected);
  assert.equal(JSON.stringify(b), JSON.stringify(expected), "same key order as Go's struct order");
});

test("a full flag set maps to Docker's Config/HostConfig fields", () => {
  const b = body(
    [
      '--name',
      'web',
      '-d',
      '-it',
      '-e',
      'A=1',
      '-e',
      'FROM_ENV',
      '-e',
      'UNSET',
      '--env-file',
      'e.env',
      '-w',
      '/app',
      '-u',
      '1000:1000',
      '-h',
      'box',
      '--domainname',
      'example.com',
      '-l',
      'k=v',
      '--label-file',
      'l.txt',
      '--entrypoint',
      '/bin/sh',
      '--rm',
      '-v',
      '/host:/ctr:ro',
      '-v',
      './rel:/rel',
      '-v',
      '/anon',
      '-v',
      'named:/data',
      '--mount',
      'type=bind,source=/src,target=/dst,readonly',
      '--network',
      'host',
      '--log-driver',
      'json-file',
      '--log-opt',
      'max-size=10m',
      '--read-only',
      '--init',
      '--stop-signal',
      'SIGINT',
      '--stop-timeout',
      '5',
      '--expose',
      '9000-9001',
      '-p',
      '8080:80',
      '-p',
      '127.0.0.1::53/udp',
      '--add-host',
      'db:10.0.0.2',
      '--dns',
      '1.1.1.1',
      '--dns-search',
      'corp',
      '--dns-option',
      'ndots:1',
      '--privileged',
      '--cap-add',
      'NET_ADMIN',
      '--cap-drop',
      'ALL',
      '--ulimit',
      'nofile=1024:2048',
      '-m',
      '512m',
      '--cpus',
      '1.5',
      '--pids-limit',
      '100',
      '--shm-size',
      '64m',
      '--tmpfs',
      '/run:rw,size=64m',
      '--cidfile',
      '/tmp/cid',
      'busybox',
      'echo',
      '-n',
      'hi',
    ],
    { FROM_ENV: 'yes' },
    { 'e.env': '# comment\nFILE=1\n\nFROM_ENV\n', 'l.txt': 'fl=1\n' },
  );
  assert.equal(b.Hostname, 'box');
  assert.equal(b.Domainname, 'example.com');
  assert.equal(b.User, '1000:1000');
  assert.equal(b.Tty, true);
  assert.equal(b.OpenStdin, true);
  assert.equal(b.AttachStdin, true);
  assert.equal(b.StdinOnce, true);
  assert.deepEqual(b.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {} });
  assert.deepEqual(b.Env, ['FILE=1', 'FROM_ENV=yes', 'A=1', 'FROM_ENV=yes', 'UNSET']);
  assert.deepEqual(b.Cmd, ['echo', '-n', 'hi']);
  assert.deepEqual(b.Entrypoint, ['/bin/sh']);
  assert.deepEqual(b.Volumes, { '/anon': {} });
  assert.equal(b.WorkingDir, '/app');
  assert.deepEqual(b.Labels, { fl: '1', k: 'v' });
  assert.equal(b.StopSignal, 'SIGINT');
  assert.equal(b.StopTimeout, 5);
  const h = b.HostConfig as Record<string, unknown>;
  assert.deepEqual(h.Binds, ['/host:/ctr:ro', '/work/rel:/rel', 'named:/data']);
  assert.equal(h.ContainerIDFile, '/tmp/cid');
  assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m' } });
  assert.equal(h.NetworkMode, 'host');
  assert.deepEqual(h.PortBindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8080' }],
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
  });
  assert.equal(h.AutoRemove, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['ALL']);
  assert.deepEqual(h.Dns, ['1.1.1.1']);
  assert.deepEqual(h.DnsSearch, ['corp']);
  assert.deepEqual(h.DnsOptions, ['ndots:1']);
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.Tmpfs, { '/run': 'rw,size=64m' });
  assert.equal(h.ShmSize, 64 * 1024 * 1024);
  assert.equal(h.Memory, 512 * 1024 * 1024);
  assert.equal(h.NanoCpus, 1_500_000_000);
  assert.equal(h.PidsLimit, 100);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Hard: 2048, Soft: 1024 }]);
  assert.deepEqual(h.Mounts, [{ Type: 'bind', Source: '/src', Target: '/dst', ReadOnly: true }]);
  assert.equal(h.Init, true);
  // a single explicit network without endpoint options sends no endpoint
  assert.deepEqual(b.NetworkingConfig, { EndpointsConfig: {} });
});

test('--entrypoint= resets the entrypoint; --restart parses name:count', () => {
  const b = body(['--entrypoint=', '--restart', 'on-failure:3', 'img']);
  assert.deepEqual(b.Entrypoint, ['']);
  assert.deepEqual((b.HostConfig as Record<string, unknown>).RestartPolicy, {
    Name: 'on-failure',
    MaximumRetryCount: 3,
  });
});

test("validation errors use docker's wording", () => {
  assert.throws(() => body(['--rm', '--restart', 'always', 'img']), /Conflicting options: --restart and --rm/);
  assert.throws(() => body(['--restart', 'always:x', 'img']), /maximum retry count must be an integer/);
  assert.throws(() => body(['-a', 'stdfoo', 'img']), /valid streams are STDIN, STDOUT and STDERR/);
  assert.throws(() => body(['-e', '=x', 'img']), /invalid environment variable: =x/);
  assert.throws(() => body(['--memory-swappiness', '101', 'img']), /Valid memory swappiness range is 0-100/);
  assert.throws(() => body(['--label', ' =x', 'img']), /empty name/);
});

test('-a selects the attached streams', () => {
  const b = body(['-a', 'stdout', 'img']);
  assert.equal(b.AttachStdout, true);
  assert.equal(b.AttachStderr, false);
  assert.equal(b.AttachStdin, false);
});

test('-p host port ranges and ipv6 addresses', () => {
  const b = body(['-p', '8000-8001:80-81', '-p', '[::1]:5353:53/udp', '-p', '9000-9010:90', 'img']);
  assert.deepEqual((b.HostConfig as Record<string, unknown>).PortBindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8000' }],
    '81/tcp': [{ HostIp: '', HostPort: '8001' }],
    '53/udp': [{ HostIp: '::1', HostPort: '5353' }],
    '90/tcp': [{ HostIp: '', HostPort: '9000-9010' }],
  });
});
