// Operating berthd: SIGHUP reloads daemon.json without dropping a container or a
// connection; systemd socket activation (-H fd://) and sd_notify; SIGTERM stops the idle
// pre-started shims; a bridge belongs to one exec root; info/version as dockerd fills
// them; inspect's LogConfig shows the daemon's defaults; default-ulimits and runtimes apply
// inside containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  berthdMain,
  hasDockerCli,
  isRoot,
  repoRoot,
  scratchDaemonArgs,
  shimsOf,
  type TestDaemon,
  useDaemon,
} from './helpers/daemon.ts';
import { cleanClientEnv, runProcess } from './helpers/process.ts';
import { demux, request } from './helpers/http.ts';
import { createContainer, waitFor } from './helpers/containers.ts';
import { listeningUnixSocket, notifySocket } from './helpers/notify-socket.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
useDaemon((x) => (d = x), { config: { labels: ['tier=one'], 'log-opts': { 'max-size': '1m' } } });

const configFile = () => join(d.root, 'daemon.json');
const readConfig = async () => JSON.parse(await readFile(configFile(), 'utf8'));
const info = async () => (await d.api('GET', '/info')).json();
const logsOf = async (id: string) => demux((await d.api('GET', `/containers/${id}/logs?stdout=1`)).body).stdout;

async function reload(times: number): Promise<void> {
  d.proc.kill('SIGHUP');
  await waitFor(
    async () => (d.logs().match(/msg="(Reloaded configuration|Error reloading configuration)/g) ?? []).length >= times,
    15_000,
  );
}

test('SIGHUP reloads labels, registries, limits, ulimits and runtimes; containers and connections stay', {
  skip,
}, async () => {
  const ticker = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done'],
  });
  assert.equal((await d.api('POST', `/containers/${ticker}/start`)).status, 204);
  const pid = (await d.api('GET', `/containers/${ticker}/json`)).json().State.Pid;
  // An events stream and an attach stay open across the reload.
  let events = '';
  const stream = streamRequest(d.socket, 'GET', '/events', (c) => (events += c));
  let attached = '';
  const attach = streamRequest(
    d.socket,
    'POST',
    `/containers/${ticker}/attach?stream=1&stdout=1`,
    (c) => (attached += c),
  );
  await waitFor(async () => attached.includes('tick'));

  // A runtime that marks its use, then is runc.
  const marker = join(d.root, 'custom-runtime-used');
  const wrapper = join(d.root, 'custom-runtime');
  await writeFile(wrapper, `#!/bin/sh\ntouch ${marker}\nexec runc "$@"\n`);
  await chmod(wrapper, 0o755);
  const cfg = await readConfig();
  await writeFile(
    configFile(),
    JSON.stringify({
      ...cfg,
      labels: ['tier=two', 'zone=b'],
      'registry-mirrors': ['http://127.0.0.1:5999'],
      'insecure-registries': ['registry.test.invalid:5000', '10.99.0.0/16'],
      'max-concurrent-downloads': 7,
      'default-ulimits': { nofile: { Name: 'nofile', Soft: 1234, Hard: 2345 } },
      runtimes: { custom: { path: wrapper, runtimeArgs: ['--log-format', 'json'] } },
      mtu: 1400, // not reloadable: announced, kept for the next start
    }),
  );
  await reload(1);
  assert.match(d.logs(), /level=info msg="configuration changed" key=labels/);
  assert.match(d.logs(), /mtu changed in the configuration; it takes effect when berthd restarts/);
  const i = await info();
  assert.deepEqual(i.Labels, ['tier=two', 'zone=b']);
  assert.deepEqual(i.RegistryConfig.Mirrors, ['http://127.0.0.1:5999']);
  assert.equal(i.RegistryConfig.IndexConfigs['registry.test.invalid:5000'].Secure, false);
  assert.ok(i.RegistryConfig.InsecureRegistryCIDRs.includes('10.99.0.0/16'));
  assert.deepEqual(i.Runtimes.custom, { path: wrapper, runtimeArgs: ['--log-format', 'json'] });

  // Nothing stopped: same container process, both connections still delivering.
  const now = (await d.api('GET', `/containers/${ticker}/json`)).json();
  assert.equal(now.State.Running, true);
  assert.equal(now.State.Pid, pid);
  const seen = attached.length;
  await waitFor(async () => attached.length > seen + 20);
  await waitFor(async () => events.includes('"Action":"reload"'));
  const ev = events
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((e) => e.Action === 'reload');
  assert.equal(ev.Type, 'daemon');
  assert.equal(ev.Actor.Attributes.labels, JSON.stringify(['tier=two', 'zone=b']));

  // The new defaults apply to containers started after the reload.
  const u = await createContainer(d, { Image: 'busybox', Cmd: ['sh', '-c', 'ulimit -n; ulimit -Hn'] });
  await d.api('POST', `/containers/${u}/start`);
  await d.api('POST', `/containers/${u}/wait`);
  assert.deepEqual((await logsOf(u)).trim().split('\n'), ['1234', '2345']);
  const own = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'ulimit -n'],
    HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 777, Hard: 777 }] },
  });
  await d.api('POST', `/containers/${own}/start`);
  await d.api('POST', `/containers/${own}/wait`);
  assert.equal((await logsOf(own)).trim(), '777', "a container's own ulimit wins");
  const rt = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['echo', 'via-custom'],
    HostConfig: { Runtime: 'custom' },
  });
  assert.equal((await d.api('POST', `/containers/${rt}/start`)).status, 204);
  await d.api('POST', `/containers/${rt}/wait`);
  assert.equal((await logsOf(rt)).trim(), 'via-custom');
  assert.ok(existsSync(marker), 'the configured runtime ran');
  assert.match(
    await readFile(join(d.execRoot, 'runtimes', 'custom'), 'utf8'),
    /exec '.*custom-runtime' '--log-format' 'json' "\$@"/,
  );

  // A configuration that does not load changes nothing.
  await writeFile(configFile(), '{"labels": ["tier=three"], "no-such-key": 1}');
  await reload(2);
  assert.match(d.logs(), /Error reloading configuration: the running configuration is kept.*no-such-key/);
  assert.deepEqual((await info()).Labels, ['tier=two', 'zone=b']);
  await writeFile(configFile(), JSON.stringify(cfg));
  await reload(3);

  stream.close();
  attach.close();
  await d.api('DELETE', `/containers/${ticker}?force=1`);
  for (const id of [u, own, rt]) await d.api('DELETE', `/containers/${id}`);
});

/** A request whose response is read as it comes (events, attach). */
function streamRequest(socket: string, method: string, path: string, onData: (s: string) => void): { close(): void } {
  const req = httpRequest({
    socketPath: socket,
    method,
    path,
    headers: method === 'POST' ? { 'Content-Length': '0' } : {},
  });
  req.on('response', (res) => res.on('data', (c: Buffer) => onData(c.toString('latin1'))));
  req.on('error', () => {});
  req.end();
  return { close: () => req.destroy() };
}

test('inspect shows the daemon log defaults in LogConfig; info and version are filled as dockerd', {
  skip,
}, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['true'] });
  const lc = (await d.api('GET', `/containers/${id}/json`)).json().HostConfig.LogConfig;
  assert.deepEqual(lc, { Type: 'json-file', Config: { 'max-size': '1m' } });
  const mine = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['true'],
    HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '5k' } } },
  });
  assert.equal((await d.api('GET', `/containers/${mine}/json`)).json().HostConfig.LogConfig.Config['max-size'], '5k');
  const i = await info();
  assert.match(i.OSVersion, /\S/);
  assert.match(i.RuncCommit.ID, /\S/);
  assert.match(i.ContainerdCommit.ID, /\S/);
  assert.equal(i.RegistryConfig.IndexConfigs['docker.io'].Official, true);
  assert.equal(i.LiveRestoreEnabled, true);
  assert.ok(i.NFd > 0);
  const v = (await d.api('GET', '/version')).json();
  const names = v.Components.map((c: { Name: string }) => c.Name);
  assert.deepEqual(names, ['Engine', 'containerd', 'runc', 'docker-init']);
  assert.match(v.Components[2].Version, /^\d+\.\d+/);
  for (const c of [id, mine]) await d.api('DELETE', `/containers/${c}`);
});

test('SIGTERM stops the idle pre-started shims and leaves containers running', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  const pid = (await d.api('GET', `/containers/${id}/json`)).json().State.Pid;
  await waitFor(async () => shimsOf(d.execRoot).length >= 2); // the container's and an idle one
  await d.stop('SIGTERM');
  const left = shimsOf(d.execRoot);
  assert.equal(left.length, 1, `only the container's shim is left (${left})`);
  assert.ok(existsSync(`/proc/${pid}`));
  await d.start();
  assert.equal((await d.api('GET', `/containers/${id}/json`)).json().State.Pid, pid);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('a bridge belongs to one exec root: another daemon on the same bridge refuses to start', { skip }, async () => {
  const other = await mkdtemp(join(tmpdir(), 'berth-claim-'));
  await writeFile(join(other, 'none.json'), '{}');
  const bridge = (await readConfig()).bridge as string;
  const second = () =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, [
        berthdMain,
        ...scratchDaemonArgs(other, {
          config: join(other, 'none.json'),
          bridge,
          cgroupParent: `/berth-claim-${process.pid}`,
        }),
        '-H',
        `unix://${join(other, 'sock')}`,
      ]);
      let out = '';
      p.stdout.on('data', (c) => (out += c));
      p.stderr.on('data', (c) => (out += c));
      const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
      p.on('exit', (code) => {
        clearTimeout(t);
        resolve({ code, out });
      });
    });
  try {
    const running = await second();
    assert.equal(running.code, 1, running.out);
    assert.match(running.out, new RegExp(`bridge ${bridge} is in use by another berthd \\(exec root ${d.execRoot}\\)`));
    // Stopped, the first daemon still owns its bridge (its addresses and rules stay its own).
    await d.stop('SIGTERM');
    const stopped = await second();
    assert.equal(stopped.code, 1, stopped.out);
    assert.match(stopped.out, new RegExp(`bridge ${bridge} belongs to the berthd with exec root ${d.execRoot}`));
    await d.start();
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('-H fd:// serves on a socket systemd passed (LISTEN_FDS) and sd_notify reports READY, RELOADING, STOPPING', {
  skip,
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-activate-'));
  const sockPath = join(root, 'activated.sock');
  const listener = listeningUnixSocket(sockPath);
  const fd = listener.fd;
  const notify = notifySocket(join(root, 'notify.sock'));
  await writeFile(join(root, 'daemon.json'), '{}');
  const args = [
    berthdMain,
    ...scratchDaemonArgs(root, { cgroupParent: `/berth-activate-${process.pid}` }),
    '-H',
    'fd://',
  ];
  // systemd sets LISTEN_PID to the service's own pid: a shell that execs berthd has it.
  const p = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', 'sh', process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    env: { ...process.env, NOTIFY_SOCKET: notify.path },
  });
  let out = '';
  p.stdout!.on('data', (c) => (out += c));
  p.stderr!.on('data', (c) => (out += c));
  listener.closeFd(); // berthd has its own copy of the socket now
  try {
    await notify.waitFor(/^READY=1$/);
    const ping = await request(sockPath, 'GET', '/_ping');
    assert.equal(ping.status, 200, out);
    p.kill('SIGHUP');
    await notify.waitFor(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    await waitFor(async () => notify.messages().filter((m) => m === 'READY=1').length === 2);
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    assert.ok(notify.messages().includes('STOPPING=1'), JSON.stringify(notify.messages()));
    assert.equal(p.exitCode, 0, out);
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    notify.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('systemd-socket-activate starts berthd -H fd:// on the first docker CLI connection, which it then answers', {
  skip:
    skip ||
    (!existsSync('/usr/bin/systemd-socket-activate') && 'no systemd-socket-activate') ||
    (!hasDockerCli() && 'no docker CLI'),
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-sdactivate-'));
  const sockPath = join(root, 'berth.sock');
  await writeFile(join(root, 'daemon.json'), '{}');
  // systemd's own tool: it listens, and on the first connection execs berthd with the socket.
  const p = spawn(
    '/usr/bin/systemd-socket-activate',
    [
      '-l',
      sockPath,
      process.execPath,
      berthdMain,
      ...scratchDaemonArgs(root, { cgroupParent: `/berth-sdactivate-${process.pid}` }),
      '-H',
      'fd://',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  p.stdout!.on('data', (c) => (out += c));
  p.stderr!.on('data', (c) => (out += c));
  try {
    await waitFor(async () => existsSync(sockPath));
    const r = await runProcess('docker', ['-H', `unix://${sockPath}`, 'version', '--format', '{{.Server.Os}}'], {
      env: cleanClientEnv({ DOCKER_CONFIG: join(root, 'docker-config') }),
    });
    assert.equal(r.code, 0, `${r.stderr}\n${out}`);
    assert.equal(r.stdout.trim(), 'linux');
    assert.match(out, /fd:\/\//, 'berthd says it serves the inherited socket');
  } finally {
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (p.exitCode === null) p.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  }
});

test('contrib/berthd.service and berthd.socket: fd:// activation, Type=notify, HUP reload, KillMode=process (systemd-analyze verify)', async () => {
  const unit = await readFile(join(repoRoot, 'contrib', 'berthd.service'), 'utf8');
  const socket = await readFile(join(repoRoot, 'contrib', 'berthd.socket'), 'utf8');
  assert.match(unit, /^ExecStart=\S*berthd -H fd:\/\/$/m);
  assert.match(unit, /^Type=notify$/m);
  assert.match(unit, /^ExecReload=\/bin\/kill -s HUP \$MAINPID$/m);
  assert.match(unit, /^KillMode=process$/m, 'stopping berthd must not kill the shims');
  assert.match(socket, /^ListenStream=\/run\/berth\/berth\.sock$/m);
  assert.match(socket, /^SocketMode=0660$/m);
  if (existsSync('/usr/bin/systemd-analyze')) {
    const r = spawnSync('systemd-analyze', [
      'verify',
      join(repoRoot, 'contrib', 'berthd.service'),
      join(repoRoot, 'contrib', 'berthd.socket'),
    ]);
    const complaints = r.stderr
      .toString()
      .split('\n')
      .filter((l) => l && !/is not executable|No such file or directory/.test(l));
    assert.deepEqual(complaints, []);
  }
});
