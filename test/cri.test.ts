// berthd as a Kubernetes CRI runtime, driven by the real crictl (cri-tools, built by
// scripts/setup): images on the Engine API's store, a pod with a CNI network (its own
// bridge and subnet, apart from other tests), a container in it reached on its pod IP and
// a host port, CRI logs, ExecSync, the Docker API's view of pods, idempotent stop/remove,
// streaming (crictl's transports, and port-forward as a kubelet proxies it), the metrics
// kubelet's /metrics/cadvisor is built from (checked against the container's cgroup files).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, repoRoot, useDaemon, type TestDaemon } from './helpers/daemon.ts';
import { bridgeConfList } from './helpers/cni.ts';
import { hasRegistry, startRegistry, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/containers.ts';
import { hasTmux, sizeBecomes, Terminal } from './helpers/tmux.ts';
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { criServices } from '../src/cri/proto.ts';

const crictlPath = join(repoRoot, '.tools', 'bin', 'crictl');
const skip = !isRoot || !hasRegistry || !existsSync(crictlPath) || !existsSync('/usr/lib/cni/bridge');

const root = mkdtempSync(join(tmpdir(), 'berth-test-'));
const h = createHash('sha256').update(root).digest();
const bridge = `bc${h.toString('hex').slice(0, 8)}`;
const subnet = `10.86.${h[0]}.0/24`;
const confDir = join(root, 'cni');
const ipamDir = join(root, 'cni-ipam');
const binDir = join(root, 'cni-bin');

const confList = (...extra: object[]) => bridgeConfList({ bridge, subnet, ipamDir }, ...extra);
let d: TestDaemon;
let reg: TestRegistry;
let image = '';

function crictl(d: TestDaemon, args: string[], opts: { allowFail?: boolean } = {}): string {
  const sock = `unix://${d.execRoot}/cri.sock`;
  const r = spawnSync(crictlPath, ['--runtime-endpoint', sock, '--image-endpoint', sock, '--timeout', '60s', ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`crictl ${args.join(' ')}: ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

function crictlOk(d: TestDaemon, args: string[]): boolean {
  const sock = `unix://${d.execRoot}/cri.sock`;
  return spawnSync(crictlPath, ['-r', sock, '--timeout', '5s', ...args], { stdio: 'ignore' }).status === 0;
}

function writeJson(name: string, v: unknown): string {
  const p = join(root, name);
  writeFileSync(p, JSON.stringify(v));
  return p;
}

before(
  async () => {
    if (skip) return;
    mkdirSync(confDir, { recursive: true });
    writeFileSync(join(confDir, '10-test.conflist'), JSON.stringify(confList()));
    // A plugin that stalls ADD (after bridge and portmap did theirs) until it is killed.
    mkdirSync(binDir, { recursive: true });
    writeFileSync(
      join(binDir, 'stall'),
      '#!/bin/sh\n[ "$CNI_COMMAND" = ADD ] || exit 0\necho $$ > "$(dirname "$0")/stalled"\nexec sleep 300\n',
      { mode: 0o755 },
    );
    reg = await startRegistry();
    // Not execFileSync: the registry's log is piped to this process, which must keep reading it.
    await promisify(execFile)(join(repoRoot, 'scripts', 'cri-test-images'), [`127.0.0.1:${reg.port}`]);
    image = `127.0.0.1:${reg.port}/e2e-test-images/nginx:1.14-2`;
  },
  { timeout: 120_000 },
);

// Registered before the daemon's own cleanup (after-hooks run in order): pods go first,
// through the CRI, as the Engine API refuses to remove their containers.
after(async () => {
  if (skip) return;
  if (d)
    for (const p of crictl(d, ['pods', '-q'], { allowFail: true }).split('\n').filter(Boolean))
      crictl(d, ['rmp', '-f', p], { allowFail: true });
  spawnSync('/usr/sbin/ip', ['link', 'del', bridge]);
  await reg?.stop();
});

useDaemon((x) => (d = x), {
  root,
  extraArgs: ['--cri', '--cni-conf-dir', confDir, '--cni-bin-dir', `/usr/lib/cni:${binDir}`],
  busybox: false,
});

const podConfig = (name: string, hostPort: number) => ({
  metadata: { name, namespace: 'berth-test', uid: `uid-${name}`, attempt: 1 },
  hostname: `${name}-host`,
  log_directory: join(root, 'logs', name),
  dns_config: { servers: ['10.86.0.1'], searches: ['berth.test'], options: ['ndots:2'] },
  port_mappings: [{ container_port: 80, host_port: hostPort }],
  labels: { app: name },
});

test('version, status with NetworkReady, images shared with the Engine API', { skip }, async () => {
  assert.match(crictl(d, ['version']), /RuntimeName:\s+berth/);
  const info = JSON.parse(crictl(d, ['info']));
  const cond = Object.fromEntries(
    info.status.conditions.map((c: { type: string; status: boolean }) => [c.type, c.status]),
  );
  assert.deepEqual(cond, { RuntimeReady: true, NetworkReady: true });
  crictl(d, ['pull', image]);
  assert.match(crictl(d, ['images']), /e2e-test-images\/nginx\s+1\.14-2/);
  const engine = (await d.api('GET', '/images/json')).json() as { RepoTags: string[] }[];
  assert.ok(
    engine.some((i) => i.RepoTags.includes(image)),
    'the Engine API sees the image the CRI pulled',
  );
  const busybox = `127.0.0.1:${reg.port}/e2e-test-images/busybox:1.29-2`;
  crictl(d, ['pull', busybox]);
  crictl(d, ['rmi', busybox]);
  assert.doesNotMatch(crictl(d, ['images']), /busybox/);
});

test('a pod: CNI network, container on its IP and host port, CRI logs, exec, Docker view, stop and remove', {
  skip,
}, async () => {
  crictl(d, ['pull', image]);
  const hostPort = 20000 + (h[1] << 4) + (h[2] & 15);
  const podJson = writeJson('pod-web.json', podConfig('web', hostPort));
  const pod = crictl(d, ['runp', podJson]);
  const status = JSON.parse(crictl(d, ['inspectp', pod]));
  assert.equal(status.status.state, 'SANDBOX_READY');
  const ip = status.status.network.ip as string;
  assert.ok(ip.startsWith(subnet.split('.').slice(0, 3).join('.') + '.'), `pod IP ${ip} is in ${subnet}`);
  // The pod's network namespace is pinned where `ip netns` sees it, its loopback up.
  assert.match(
    execFileSync('/usr/sbin/ip', ['-n', `berth-pod-${pod}`, '-o', 'link', 'show', 'lo']).toString(),
    /<LOOPBACK,UP,LOWER_UP>/,
  );

  const ctrJson = writeJson('ctr-web.json', {
    metadata: { name: 'nginx' },
    image: { image },
    log_path: 'nginx/0.log',
    labels: { tier: 'front' },
    annotations: { note: 'kept' },
  });
  const ctr = crictl(d, ['create', pod, ctrJson, podJson]);
  crictl(d, ['start', ctr]);
  // Seen from inside: the pod's hostname and DNS config.
  assert.equal(crictl(d, ['exec', '-s', ctr, 'hostname']), 'web-host');
  const resolv = crictl(d, ['exec', '-s', ctr, 'cat', '/etc/resolv.conf']);
  assert.match(resolv, /nameserver 10\.86\.0\.1/);
  assert.match(resolv, /search berth\.test/);
  // Reached on the pod IP (our bridge) and on the host port (portmap, loopback).
  for (const url of [`http://${ip}/`, `http://127.0.0.1:${hostPort}/`]) {
    let body = '';
    await waitFor(async () => {
      body = await fetch(url)
        .then((r) => r.text())
        .catch(() => '');
      return body.includes('Welcome to nginx');
    }, 60_000);
    assert.match(body, /Welcome to nginx/, url);
  }
  // The log in the CRI format at kubelet's path.
  crictl(d, ['exec', '-s', ctr, 'sh', '-c', 'echo hello-cri > /proc/1/fd/1']);
  const logFile = join(root, 'logs', 'web', 'nginx', '0.log');
  await waitFor(async () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('hello-cri'));
  assert.match(readFileSync(logFile, 'utf8'), /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F hello-cri$/m);
  assert.match(crictl(d, ['logs', ctr]), /hello-cri/);
  // ExecSync's exit code and the status as the CRI reports it.
  const st = JSON.parse(crictl(d, ['inspect', ctr]));
  assert.equal(st.status.state, 'CONTAINER_RUNNING');
  assert.deepEqual(st.status.labels, { tier: 'front' });
  assert.deepEqual(st.status.annotations, { note: 'kept' });
  // The Engine API shows both, cri-dockerd style, and refuses to remove them alone.
  const ps = (await d.api('GET', '/containers/json?all=1')).json() as {
    Names: string[];
    Labels: Record<string, string>;
  }[];
  const names = ps.map((c) => c.Names[0]).sort();
  assert.deepEqual(names, ['/k8s_POD_web_berth-test_uid-web_1', '/k8s_nginx_web_berth-test_uid-web_0']);
  assert.ok(ps.every((c) => c.Labels['io.kubernetes.pod.name'] === 'web'));
  assert.equal((await d.api('DELETE', `/containers/${ctr}?force=1`)).status, 409);

  crictl(d, ['stop', ctr]);
  crictl(d, ['stop', ctr]); // idempotent
  assert.equal(JSON.parse(crictl(d, ['inspect', ctr])).status.state, 'CONTAINER_EXITED');
  crictl(d, ['stopp', pod]);
  crictl(d, ['stopp', pod]);
  assert.equal(JSON.parse(crictl(d, ['inspectp', pod])).status.state, 'SANDBOX_NOTREADY');
  assert.ok(!existsSync(`/run/netns/berth-pod-${pod}`), 'a stopped pod has unpinned its namespace');
  crictl(d, ['rmp', pod]);
  assert.equal(crictl(d, ['pods', '-q']), '');
  assert.equal(((await d.api('GET', '/containers/json?all=1')).json() as unknown[]).length, 0);
  // The address went back to host-local.
  const leases = readdirSync(join(ipamDir, `net-${bridge}`)).filter((f) => /^\d+\./.test(f));
  assert.deepEqual(leases, []);
});
/** crictl with stdin from `input`; under a pseudo-terminal (script(1)) when `tty` is given. */
function crictlIo(
  d: TestDaemon,
  args: string[],
  input: string,
  tty?: { cols: number; rows: number },
): { code: number; out: string; err: string } {
  const sock = `unix://${d.execRoot}/cri.sock`;
  const argv = [crictlPath, '-r', sock, '--timeout', '60s', ...args];
  const r = tty
    ? spawnSync(
        'script',
        ['-qec', `stty cols ${tty.cols} rows ${tty.rows}; ${argv.map((a) => `'${a}'`).join(' ')}`, '/dev/null'],
        { input, encoding: 'utf8', timeout: 60_000 },
      )
    : spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: (r.stdout ?? '').replace(/\r/g, ''), err: r.stderr ?? '' };
}

// Both of crictl's transports: SPDY/3.1, and WebSocket (remote-command v5 channels for exec
// and attach; SPDY tunnelled in WebSocket for port-forward, as client-go does).
for (const [n, transport] of ['spdy', 'websocket'].entries()) {
  test(`streaming over ${transport}: exec with exit codes and stdin, exec -it with a TTY, its size and a resize, attach -it, port-forward`, {
    skip,
  }, async () => {
    crictl(d, ['pull', image]);
    const podJson = writeJson(`pod-stream-${transport}.json`, podConfig(`stream-${transport}`, 0));
    const pod = crictl(d, ['runp', podJson]);
    const web = crictl(d, [
      'create',
      pod,
      writeJson(`ctr-stream-web-${transport}.json`, {
        metadata: { name: 'web' },
        image: { image },
        log_path: 'web.log',
      }),
      podJson,
    ]);
    crictl(d, ['start', web]);
    const busybox = image.replace('nginx:1.14-2', 'busybox:1.29-2');
    crictl(d, ['pull', busybox]);
    const exec = ['exec', '--transport', transport];
    // Non-TTY exec: stdout and stderr apart, the exit code carried back, stdin to its EOF.
    const failed = crictlIo(d, [...exec, web, 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], '');
    assert.equal(failed.code, 1, failed.err);
    assert.equal(failed.out, 'to-out\n');
    assert.match(failed.err, /to-err/);
    assert.match(failed.err, /command terminated with exit code 3/);
    const ok = crictlIo(d, [...exec, web, 'sh', '-c', 'echo fine'], '');
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, 'fine\n');
    const echoed = crictlIo(d, [...exec, '-i', web, 'sh', '-c', 'cat; echo done'], 'line one\nline two\n');
    assert.equal(echoed.code, 0, echoed.err);
    assert.equal(echoed.out, 'line one\nline two\ndone\n');
    // A TTY: the process sees a terminal of the client's size.
    const tty = crictlIo(d, [...exec, '-it', web, 'sh'], 'tty; stty size; exit 0\n', { cols: 123, rows: 45 });
    assert.match(tty.out, /\/dev\/pts\/\d+/);
    assert.match(tty.out, /^45 123$/m);
    // In a real terminal: the size follows a resize, and the shell's exit code comes back.
    if (hasTmux()) {
      const t = new Terminal(`${crictlPath} -r unix://${d.execRoot}/cri.sock ${exec.join(' ')} -it ${web} sh`, {
        width: 100,
        height: 30,
      });
      try {
        await sizeBecomes(t, 30, 100);
        t.resize(70, 20);
        await sizeBecomes(t, 20, 70);
        t.type('exit 4');
        t.keys('Enter');
        await t.waitFor(/\[exit=1\]/);
        // The message wraps at the terminal's width.
        assert.match(t.screen().replace(/\s+/g, ' '), /command terminated with exit code 4/);
      } finally {
        t.close();
      }
    }
    // Attach to a TTY container's shell; it ends when the shell exits.
    const shell = crictl(d, [
      'create',
      pod,
      writeJson(`ctr-stream-sh-${transport}.json`, {
        metadata: { name: 'sh' },
        image: { image: busybox },
        command: ['sh'],
        tty: true,
        stdin: true,
        log_path: 'sh.log',
      }),
      podJson,
    ]);
    crictl(d, ['start', shell]);
    const attached = crictlIo(
      d,
      ['attach', '--transport', transport, '-it', shell],
      'echo attached-$((6*7)); stty size; exit 4\n',
      { cols: 99, rows: 33 },
    );
    assert.match(attached.out, /^attached-42$/m);
    assert.match(attached.out, /^33 99$/m);
    await waitFor(async () => JSON.parse(crictl(d, ['inspect', shell])).status.state === 'CONTAINER_EXITED');
    assert.equal(JSON.parse(crictl(d, ['inspect', shell])).status.exitCode, 4);
    // Port-forward to the pod's port 80 (the pod has no host port), and to a closed port.
    const local = 21000 + (h[3] << 3) + (h[4] & 7) + 2 * n;
    const sock = `unix://${d.execRoot}/cri.sock`;
    const pf = spawn(
      crictlPath,
      ['-r', sock, 'port-forward', '--transport', transport, pod, `${local}:80`, `${local + 1}:81`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let pfErr = '';
    pf.stderr.on('data', (b) => (pfErr += b));
    try {
      let body = '';
      await waitFor(async () => {
        body = await fetch(`http://127.0.0.1:${local}/`)
          .then((r) => r.text())
          .catch(() => '');
        return body.includes('Welcome to nginx');
      }, 20_000);
      assert.match(body, /Welcome to nginx/);
      // A second connection over the same session.
      assert.match(await (await fetch(`http://127.0.0.1:${local}/`)).text(), /Welcome to nginx/);
      await fetch(`http://127.0.0.1:${local + 1}/`).catch(() => undefined);
      await waitFor(async () => /connection refused/i.test(pfErr), 10_000);
    } finally {
      pf.kill();
    }
    crictl(d, ['rmp', '-f', pod]);
  });
}

// A kubelet serves a client's WebSocket port-forward (v4.channel.k8s.io) by calling
// PortForward with the ports and proxying the connection to the URL answered, without the
// client's query: the ports must come from the request (found running a real kubelet).
test('port-forward as the kubelet proxies it: v4 WebSocket channels on the URL PortForward answered, no ports in it', {
  skip,
}, async () => {
  crictl(d, ['pull', image]);
  const podJson = writeJson('pod-kubelet-pf.json', podConfig('kubelet-pf', 0));
  const pod = crictl(d, ['runp', podJson]);
  const ctr = writeJson('ctr-kubelet-pf.json', { metadata: { name: 'web' }, image: { image }, log_path: 'web.log' });
  crictl(d, ['start', crictl(d, ['create', pod, ctr, podJson])]);
  const Runtime = makeGenericClientConstructor(criServices().runtime, 'RuntimeService');
  const client = new Runtime(`unix://${d.execRoot}/cri.sock`, credentials.createInsecure()) as unknown as {
    PortForward(req: object, cb: (err: Error | null, res: { url: string }) => void): void;
    close(): void;
  };
  try {
    const { url } = await new Promise<{ url: string }>((resolve, reject) =>
      client.PortForward({ pod_sandbox_id: pod, port: [80] }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    const firsts = new Map<number, number>();
    const body = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
      ws.binaryType = 'arraybuffer';
      let data = '';
      const t = setTimeout(() => {
        ws.close();
        reject(new Error(`no answer through the forward, got ${JSON.stringify(data)}`));
      }, 20_000);
      ws.onerror = () => {
        clearTimeout(t);
        reject(new Error(`the WebSocket to ${url} failed (refused at the upgrade?)`));
      };
      ws.onmessage = (e) => {
        const b = Buffer.from(e.data as ArrayBuffer);
        if (!firsts.has(b[0])) {
          // The first message on each channel is its port; then the client may write.
          firsts.set(b[0], b.readUInt16LE(1));
          if (b[0] === 0) ws.send(Buffer.from([0, ...Buffer.from('GET / HTTP/1.0\r\n\r\n')]));
        } else if (b[0] === 0) data += b.subarray(1).toString();
        else reject(new Error(`error channel ${b[0]}: ${b.subarray(1)}`));
      };
      ws.onclose = () => {
        clearTimeout(t);
        resolve(data);
      };
    });
    assert.deepEqual([...firsts].sort(), [
      [0, 80],
      [1, 80],
    ]);
    assert.match(body, /Welcome to nginx/);
  } finally {
    client.close();
    crictl(d, ['rmp', '-f', pod]);
  }
});

test('stats, resource updates seen from inside, and the container event stream', { skip }, async () => {
  crictl(d, ['pull', image]);
  const podJson = writeJson('pod-stats.json', podConfig('stats', 0));
  const pod = crictl(d, ['runp', podJson]);
  const sock = `unix://${d.execRoot}/cri.sock`;
  // The event stream, from before the container exists.
  const events = spawn(crictlPath, ['-r', sock, 'events', '-o', 'json'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let evText = '';
  events.stdout.on('data', (b) => (evText += b));
  try {
    await new Promise((r) => setTimeout(r, 500)); // the stream is open before anything happens
    const ctr = crictl(d, [
      'create',
      pod,
      writeJson('ctr-stats.json', {
        metadata: { name: 'web' },
        image: { image },
        labels: { tier: 'stats' },
        log_path: 'web.log',
        linux: { resources: { memory_limit_in_bytes: 64 << 20 } },
      }),
      podJson,
    ]);
    crictl(d, ['start', ctr]);
    // A cgroup file seen from inside (v1 path, else v2's).
    const cgroup = (v1: string, v2: string) =>
      crictl(d, ['exec', '-s', ctr, 'sh', '-c', `cat /sys/fs/cgroup/${v1} 2>/dev/null || cat /sys/fs/cgroup/${v2}`]);
    const limit = () => cgroup('memory/memory.limit_in_bytes', 'memory.max');
    assert.equal(limit(), String(64 << 20));
    // Stats: the container's CPU time and memory, the pod's sum and its network counters.
    const stats = JSON.parse(crictl(d, ['stats', '-o', 'json', '--label', 'tier=stats'])).stats;
    assert.equal(stats.length, 1);
    assert.equal(stats[0].attributes.id, ctr);
    assert.ok(Number(stats[0].cpu.usageCoreNanoSeconds.value) > 0);
    assert.ok(Number(stats[0].memory.workingSetBytes.value) > 0);
    const podStats = JSON.parse(crictl(d, ['statsp', '-o', 'json', '--id', pod])).stats[0];
    assert.equal(podStats.attributes.id, pod);
    assert.ok(Number(podStats.linux.memory.workingSetBytes.value) >= Number(stats[0].memory.workingSetBytes.value));
    assert.equal(podStats.linux.network.defaultInterface.name, 'eth0');
    assert.equal(podStats.linux.containers[0].attributes.id, ctr);
    // UpdateContainerResources reaches the cgroup of the running container and its status.
    crictl(d, ['update', '--memory', String(96 << 20), '--cpu-quota', '50000', '--cpu-period', '100000', ctr]);
    assert.equal(limit(), String(96 << 20));
    assert.match(cgroup('cpu/cpu.cfs_quota_us', 'cpu.max'), /^50000\b/);
    const res = JSON.parse(crictl(d, ['inspect', ctr])).status.resources.linux;
    assert.equal(res.memoryLimitInBytes, String(96 << 20));
    crictl(d, ['stop', ctr]);
    crictl(d, ['rm', ctr]);
    const want = [
      'CONTAINER_CREATED_EVENT',
      'CONTAINER_STARTED_EVENT',
      'CONTAINER_STOPPED_EVENT',
      'CONTAINER_DELETED_EVENT',
    ];
    const seen = () =>
      [...evText.matchAll(/"containerId":\s*"(\w+)",\s*"containerEventType":\s*"(\w+)"/g)]
        .filter((m) => m[1] === ctr)
        .map((m) => m[2]);
    await waitFor(async () => seen().length >= 4, 10_000);
    assert.deepEqual(seen(), want);
  } finally {
    events.kill();
  }
  crictl(d, ['rmp', '-f', pod]);
});

test('berthd killed with a pod running: the pod and its container are re-adopted, then removed cleanly', {
  skip,
}, async () => {
  crictl(d, ['pull', image]);
  const podJson = writeJson('pod-crash.json', podConfig('crash', 0));
  const pod = crictl(d, ['runp', podJson]);
  const ctr = crictl(d, [
    'create',
    pod,
    writeJson('ctr-crash.json', { metadata: { name: 'web' }, image: { image }, log_path: 'web.log' }),
    podJson,
  ]);
  crictl(d, ['start', ctr]);
  await d.stop('SIGKILL');
  await d.start();
  assert.equal(JSON.parse(crictl(d, ['inspectp', pod])).status.state, 'SANDBOX_READY');
  assert.equal(JSON.parse(crictl(d, ['inspect', ctr])).status.state, 'CONTAINER_RUNNING');
  assert.equal(crictl(d, ['exec', '-s', ctr, 'hostname']), 'crash-host');
  crictl(d, ['rmp', '-f', pod]);
  assert.equal(crictl(d, ['pods', '-q']), '');
  assert.equal(((await d.api('GET', '/containers/json?all=1')).json() as unknown[]).length, 0);
  // CNI DEL ran: the address is back, no veth is left on the bridge, no NAT chain for the pod.
  const leases = readdirSync(join(ipamDir, `net-${bridge}`)).filter((f) => /^\d+\./.test(f));
  assert.deepEqual(leases, []);
  assert.equal(execFileSync('/usr/sbin/ip', ['-o', 'link', 'show', 'master', bridge]).toString().trim(), '');
  assert.doesNotMatch(execFileSync('iptables-save', ['-t', 'nat']).toString(), new RegExp(pod.slice(0, 12)));
  assert.ok(!existsSync(`/run/netns/berth-pod-${pod}`));
});

test('an infra killed from outside: stopp still releases the address and the veth through the pinned namespace', {
  skip,
}, async () => {
  crictl(d, ['pull', image]);
  const pod = crictl(d, ['runp', writeJson('pod-orphan.json', podConfig('orphan', 0))]);
  const infra = (await d.api('GET', `/containers/${pod}/json`)).json() as { State: { Pid: number } };
  process.kill(infra.State.Pid, 'SIGKILL');
  await waitFor(async () => JSON.parse(crictl(d, ['inspectp', pod])).status.state === 'SANDBOX_NOTREADY');
  assert.ok(existsSync(`/run/netns/berth-pod-${pod}`), 'the namespace outlives the infra');
  crictl(d, ['stopp', pod]);
  crictl(d, ['rmp', pod]);
  assert.ok(!existsSync(`/run/netns/berth-pod-${pod}`));
  const leases = readdirSync(join(ipamDir, `net-${bridge}`)).filter((f) => /^\d+\./.test(f));
  assert.deepEqual(leases, []);
  assert.equal(execFileSync('/usr/sbin/ip', ['-o', 'link', 'show', 'master', bridge]).toString().trim(), '');
});

test('berthd killed during RunPodSandbox (CNI ADD half done): start-up undoes the sandbox and releases its address', {
  skip,
}, async () => {
  const stallConf = join(confDir, '00-stall.conflist');
  writeFileSync(stallConf, JSON.stringify(confList({ type: 'stall' })));
  const marker = join(binDir, 'stalled');
  const sock = `unix://${d.execRoot}/cri.sock`;
  let pinned: string[] = [];
  const runp = spawn(
    crictlPath,
    ['-r', sock, '--timeout', '60s', 'runp', writeJson('pod-stall.json', podConfig('stall', 0))],
    {
      stdio: 'ignore',
    },
  );
  try {
    await waitFor(async () => existsSync(marker), 30_000);
    // bridge and host-local have run: the pod holds an address and a veth.
    assert.equal(readdirSync(join(ipamDir, `net-${bridge}`)).filter((f) => /^\d+\./.test(f)).length, 1);
    pinned = readdirSync(join(d.dataRoot, 'cri', 'sandboxes')).map((id) => `/run/netns/berth-pod-${id}`);
    assert.equal(pinned.length, 1);
    assert.ok(existsSync(pinned[0]), 'ADD runs on the pinned namespace');
    await d.stop('SIGKILL');
  } finally {
    runp.kill('SIGKILL');
    const pid = existsSync(marker) ? Number(readFileSync(marker, 'utf8')) : 0;
    if (pid) spawnSync('kill', ['-9', String(pid)]);
    rmSync(marker, { force: true });
    rmSync(stallConf, { force: true });
  }
  await d.start();
  // Nobody was told this sandbox's ID: it is gone, with its infra and its network.
  // The CRI socket answers once start-up reconciliation is done.
  await waitFor(async () => crictlOk(d, ['version']), 30_000);
  assert.equal(crictl(d, ['pods', '-q']), '');
  assert.equal(((await d.api('GET', '/containers/json?all=1')).json() as unknown[]).length, 0);
  const leases = readdirSync(join(ipamDir, `net-${bridge}`)).filter((f) => /^\d+\./.test(f));
  assert.deepEqual(leases, []);
  assert.equal(execFileSync('/usr/sbin/ip', ['-o', 'link', 'show', 'master', bridge]).toString().trim(), '');
  assert.ok(!existsSync(pinned[0]), 'the namespace is unpinned');
});

// Kubelet resizes a pod's cgroup itself, then tells the runtime the pod's new resources
// (InPlacePodVerticalScaling): berthd keeps them in the sandbox's config, across a restart.
test('UpdatePodSandboxResources: the pod config keeps the new overhead and resources, across a berthd SIGKILL', {
  skip,
}, async () => {
  const podJson = writeJson('pod-resize.json', podConfig('resize', 0));
  const pod = crictl(d, ['runp', podJson]);
  const Runtime = makeGenericClientConstructor(criServices().runtime, 'RuntimeService');
  const client = new Runtime(`unix://${d.execRoot}/cri.sock`, credentials.createInsecure()) as unknown as {
    UpdatePodSandboxResources(req: object, cb: (err: (Error & { code?: number }) | null) => void): void;
    close(): void;
  };
  const update = (req: object) =>
    new Promise<void>((resolve, reject) =>
      client.UpdatePodSandboxResources(req, (err) => (err ? reject(err) : resolve())),
    );
  // crictl parses the verbose info's JSON into "info".
  const linuxOf = () => JSON.parse(crictl(d, ['inspectp', pod])).info.config.linux;
  try {
    await update({
      pod_sandbox_id: pod,
      overhead: { cpu_shares: 26, memory_limit_in_bytes: 33554432 },
      resources: { cpu_period: 100000, cpu_quota: 50000, cpu_shares: 512, memory_limit_in_bytes: 268435456 },
    });
    const check = () => {
      const linux = linuxOf();
      assert.equal(Number(linux.overhead.memory_limit_in_bytes), 33554432);
      assert.equal(Number(linux.overhead.cpu_shares), 26);
      assert.equal(Number(linux.resources.cpu_quota), 50000);
      assert.equal(Number(linux.resources.memory_limit_in_bytes), 268435456);
    };
    check();
    await d.stop('SIGKILL');
    await d.start();
    check();
    assert.equal(JSON.parse(crictl(d, ['inspectp', pod])).status.state, 'SANDBOX_READY');
    await assert.rejects(
      update({ pod_sandbox_id: 'f'.repeat(64), resources: {} }),
      (err: Error & { code?: number }) => {
        assert.equal(err.code, 5, 'NOT_FOUND');
        return true;
      },
    );
  } finally {
    client.close();
    crictl(d, ['rmp', '-f', pod]);
  }
});

interface CrictlMetric {
  name: string;
  labelValues?: string[];
  metricType?: string;
  value?: { value: string };
}
interface CrictlPodMetrics {
  podSandboxId: string;
  metrics?: CrictlMetric[];
  containerMetrics?: { containerId: string; metrics?: CrictlMetric[] }[];
}

test('metrics for /metrics/cadvisor: descriptors pair with every metric, values match the cgroup files and /proc/net/dev', {
  skip,
}, async () => {
  const busybox = `127.0.0.1:${reg.port}/e2e-test-images/busybox:1.29-2`;
  crictl(d, ['pull', busybox]);
  const busyboxId = JSON.parse(crictl(d, ['inspecti', busybox])).status.id;
  const podJson = writeJson('pod-metrics.json', podConfig('metrics', 0));
  const pod = crictl(d, ['runp', podJson]);
  const limitBytes = 96 << 20;
  const ctr = crictl(d, [
    'create',
    pod,
    writeJson('ctr-metrics.json', {
      metadata: { name: 'burner' },
      // As kubelet sends it: the image ID, the pod spec's name beside it.
      image: { image: busyboxId, user_specified_image: busybox },
      // 8 MiB in the writable layer, 24 MiB of shared memory (page cache that cannot be
      // reclaimed without swap), a listener for traffic, one core kept busy.
      command: [
        'sh',
        '-c',
        'dd if=/dev/zero of=/tmp/fill bs=1M count=8; dd if=/dev/zero of=/dev/shm/fill bs=1M count=24; nc -ll -p 8080 -e cat & while :; do :; done',
      ],
      log_path: 'burner.log',
      linux: { resources: { memory_limit_in_bytes: limitBytes } },
    }),
    podJson,
  ]);
  crictl(d, ['start', ctr]);
  const inside = (cmd: string) => crictl(d, ['exec', '-s', ctr, 'sh', '-c', cmd]);
  const cgroup = (v1: string, v2: string) => inside(`cat /sys/fs/cgroup/${v1} 2>/dev/null || cat /sys/fs/cgroup/${v2}`);
  const eth0 = () => {
    const line = inside('cat /proc/net/dev')
      .split('\n')
      .find((l) => l.trim().startsWith('eth0:'))!;
    const f = line.split(':')[1].trim().split(/\s+/).map(Number);
    return { rx: f[0], tx: f[8] };
  };
  try {
    await waitFor(async () => inside('ls -l /dev/shm/fill 2>&1 || true').includes(String(24 << 20)), 30_000, 200);
    // nc listening on 8080 (1F90), state 0A.
    await waitFor(
      async () => /:1F90 0+:0000 0A /.test(inside('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; true')),
      30_000,
      200,
    );
    const descs: { name: string; help: string; labelKeys: string[] }[] = JSON.parse(
      crictl(d, ['metricdescs', '-o', 'json']),
    ).descriptors;
    const byName = new Map(descs.map((x) => [x.name, x]));
    for (const x of descs) {
      assert.ok(x.help, `${x.name} has help`);
      assert.deepEqual(x.labelKeys.slice(0, 6), ['container', 'id', 'image', 'name', 'namespace', 'pod'], x.name);
    }
    const scrape = (): { pod: CrictlMetric[]; ctr: CrictlMetric[] } => {
      const all: CrictlPodMetrics[] = JSON.parse(crictl(d, ['metricsp', '-o', 'json'])).podMetrics;
      const p = all.find((x) => x.podSandboxId === pod);
      assert.ok(p, 'the pod is listed');
      const c = p.containerMetrics?.find((x) => x.containerId === ctr);
      assert.ok(c, 'its container is listed');
      return { pod: p.metrics ?? [], ctr: c.metrics ?? [] };
    };
    const value = (ms: CrictlMetric[], name: string, extra: string[] = []) => {
      const m = ms.find((x) => x.name === name && extra.every((v, i) => x.labelValues?.[6 + i] === v));
      assert.ok(m, `${name} ${extra.join(' ')} is there`);
      return Number(m.value?.value ?? 0);
    };
    const first = scrape();
    // Every metric is described, and its label values pair one to one with the keys.
    for (const [who, ms, container] of [
      ['pod', first.pod, 'POD'],
      ['container', first.ctr, 'burner'],
    ] as const)
      for (const m of ms) {
        const x = byName.get(m.name);
        assert.ok(x, `${who} metric ${m.name} has a descriptor`);
        assert.equal(m.labelValues?.length, x.labelKeys.length, `${m.name}: ${m.labelValues} for ${x.labelKeys}`);
        assert.deepEqual(m.labelValues.slice(0, 6), [
          container,
          who === 'pod' ? pod : ctr,
          m.labelValues[2],
          m.labelValues[3],
          'berth-test',
          'metrics',
        ]);
        assert.ok(m.labelValues[3].startsWith(who === 'pod' ? 'k8s_POD_metrics_' : 'k8s_burner_metrics_'), m.name);
        assert.equal(
          m.metricType ?? 'COUNTER',
          /_total$|_failcnt$/.test(m.name) && m.name !== 'container_fs_inodes_total' ? 'COUNTER' : 'GAUGE',
          m.name,
        );
      }
    // The image as a name: the pod spec's for a container, the infra image's tag for the pod.
    assert.ok(first.ctr.every((m) => m.labelValues?.[2] === busybox));
    assert.ok(first.pod.every((m) => m.labelValues?.[2] && !/sha256|^[0-9a-f]{64}$/.test(m.labelValues[2])));
    assert.equal(JSON.parse(crictl(d, ['inspect', ctr])).status.image.userSpecifiedImage, busybox);
    // Every described metric is served for a running container, but those that depend on the
    // host (swap and kernel memory accounting, block I/O) or on a setting this pod lacks.
    const optional =
      /^container_(spec_cpu_quota|memory_swap|memory_kernel_usage|fs_(reads|writes)_.*|blkio_.*|network_.*)$/;
    const names = new Set(first.ctr.map((m) => m.name));
    assert.deepEqual(
      descs.map((x) => x.name).filter((n) => !optional.test(n) && !names.has(n)),
      [],
      'described but not served',
    );
    // Memory: the limit set, and the usage, page cache and working set the cgroup shows.
    assert.equal(value(first.ctr, 'container_spec_memory_limit_bytes'), limitBytes);
    assert.equal(Number(cgroup('memory/memory.limit_in_bytes', 'memory.max')), limitBytes);
    const usage = Number(cgroup('memory/memory.usage_in_bytes', 'memory.current'));
    assert.ok(value(first.ctr, 'container_memory_usage_bytes') >= 24 << 20, 'the shared memory is charged');
    assert.ok(Math.abs(value(first.ctr, 'container_memory_usage_bytes') - usage) < 8 << 20, `usage ${usage}`);
    assert.ok(value(first.ctr, 'container_memory_cache') >= 24 << 20);
    assert.ok(value(first.ctr, 'container_memory_rss') > 0);
    assert.ok(
      value(first.ctr, 'container_memory_working_set_bytes') <= value(first.ctr, 'container_memory_usage_bytes'),
    );
    const pidsMax = cgroup('pids/pids.max', 'pids.max');
    assert.equal(value(first.ctr, 'container_threads_max'), pidsMax === 'max' ? 0 : Number(pidsMax));
    assert.ok(value(first.ctr, 'container_processes') >= 2, 'sh and nc');
    assert.ok(value(first.ctr, 'container_sockets') >= 1, "nc's listening socket");
    const fsUsed = first.ctr.find((m) => m.name === 'container_fs_usage_bytes');
    assert.ok(fsUsed && Number(fsUsed.value?.value) >= 8 << 20, 'the writable layer holds /tmp/fill');
    // CPU: whole seconds of the cgroup's usage, growing while the loop spins.
    const cpuUsage = () => Number(cgroup('cpuacct/cpuacct.usage', 'cpu.stat').match(/^(?:usage_usec )?(\d+)/m)![1]);
    const before = cpuUsage();
    const cpu1 = value(scrape().ctr, 'container_cpu_usage_seconds_total');
    const after = cpuUsage();
    const v2 = !/^\d+$/.test(cgroup('cpuacct/cpuacct.usage', 'cpu.stat'));
    const toSeconds = (n: number) => Math.floor(v2 ? n / 1e6 : n / 1e9);
    assert.ok(
      cpu1 >= toSeconds(before) && cpu1 <= toSeconds(after),
      `${toSeconds(before)} <= ${cpu1} <= ${toSeconds(after)}`,
    );
    await waitFor(async () => value(scrape().ctr, 'container_cpu_usage_seconds_total') > cpu1, 30_000, 250);
    // Network: the pod's eth0 counters, growing with traffic sent to the pod's address.
    const podIp = JSON.parse(crictl(d, ['inspectp', pod])).status.network.ip;
    const rx0 = eth0().rx;
    const { connect } = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const s = connect(8080, podIp, () => s.end(Buffer.alloc(200_000, 'x')));
      s.on('data', () => {});
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const rx1 = eth0().rx;
    assert.ok(rx1 - rx0 >= 200_000, `eth0 received ${rx1 - rx0}`);
    const after1 = scrape().pod;
    const rx = value(after1, 'container_network_receive_bytes_total', ['eth0']);
    assert.ok(rx >= rx1 && rx <= eth0().rx, `${rx1} <= ${rx}`);
    assert.ok(value(after1, 'container_network_transmit_bytes_total', ['eth0']) > 0);
    // The stream sends the same pods.
    const Runtime = makeGenericClientConstructor(criServices().runtime, 'RuntimeService');
    const client = new Runtime(`unix://${d.execRoot}/cri.sock`, credentials.createInsecure()) as unknown as {
      StreamPodSandboxMetrics(req: object): NodeJS.ReadableStream;
      close(): void;
    };
    try {
      const ids: string[] = [];
      for await (const msg of client.StreamPodSandboxMetrics({}) as AsyncIterable<{
        pod_sandbox_metrics: { pod_sandbox_id: string }[];
      }>)
        ids.push(...msg.pod_sandbox_metrics.map((p) => p.pod_sandbox_id));
      assert.ok(ids.includes(pod), `${ids}`);
    } finally {
      client.close();
    }
  } finally {
    crictl(d, ['rmp', '-f', pod]);
  }
});
