// Exec, pause/unpause, top, stats, resize through the Engine API against a real berthd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { demux } from './helpers/http.ts';
import { createContainer, waitFor } from './helpers/containers.ts';
import { hijackRaw } from './helpers/stream.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

async function execCreate(id: string, body: Record<string, unknown>): Promise<string> {
  const r = await d.api('POST', `/containers/${id}/exec`, {
    body: { AttachStdout: true, AttachStderr: true, ...body },
  });
  assert.equal(r.status, 201, r.body.toString());
  return r.json().Id;
}

/** Starts an exec attached (Upgrade: tcp) and returns its output and inspect. */
async function execRun(id: string, body: Record<string, unknown>, stdin?: string) {
  const eid = await execCreate(id, body);
  const h = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${eid}/start`, {
    body: { Detach: false, Tty: Boolean(body.Tty) },
  });
  assert.equal(h.status, 101);
  if (stdin !== undefined) h.socket.end(stdin);
  await h.ended;
  const insp = (await d.api('GET', `/exec/${eid}/json`)).json();
  return { eid, raw: h.data(), ...demux(h.data()), insp };
}

test('exec: output, exit code, user, workdir, env, stdin, tty, privileged', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'], Env: ['FROM_IMAGE=1'] }, 'ex1');
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);

  const a = await execRun(id, { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
  assert.equal(a.stdout, 'out\n');
  assert.equal(a.stderr, 'err\n');
  assert.equal(a.insp.ExitCode, 7);
  assert.equal(a.insp.Running, false);
  assert.ok(a.insp.Pid > 0);
  assert.deepEqual(a.insp.ProcessConfig, {
    tty: false,
    entrypoint: 'sh',
    arguments: ['-c', 'echo out; echo err >&2; exit 7'],
    privileged: false,
    user: '',
  });
  assert.equal(a.insp.ContainerID, id);

  const b = await execRun(id, {
    Cmd: ['sh', '-c', 'id -u; pwd; echo $A $FROM_IMAGE'],
    User: 'nobody',
    WorkingDir: '/tmp',
    Env: ['A=1'],
  });
  assert.equal(b.stdout, '65534\n/tmp\n1 1\n');
  assert.equal(b.insp.ProcessConfig.user, 'nobody');

  const c = await execRun(id, { Cmd: ['cat'], AttachStdin: true }, 'piped in\n');
  assert.equal(c.stdout, 'piped in\n', 'stdin EOF from the client ends cat');
  assert.equal(c.insp.ExitCode, 0);

  // the older plain hijack (200): stdin sent at once, before the process exists, is kept
  const early = await execCreate(id, { Cmd: ['cat'], AttachStdin: true });
  const ph = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${early}/start`, {
    body: { Detach: false },
    upgrade: false,
  });
  assert.equal(ph.status, 200);
  ph.socket.end('sent early\n');
  await ph.ended;
  assert.equal(demux(ph.data()).stdout, 'sent early\n');

  const t = await execRun(id, { Cmd: ['sh', '-c', 'tty; echo $TERM'], Tty: true });
  assert.match(t.raw.toString(), /^\/dev\/pts\/\d+\r\nxterm\r\n$/, 'raw (unframed) tty output');

  const capEff = (s: string) => /CapEff:\s*([0-9a-f]+)/.exec(s)?.[1];
  const plain = await execRun(id, { Cmd: ['cat', '/proc/self/status'] });
  const priv = await execRun(id, { Cmd: ['cat', '/proc/self/status'], Privileged: true });
  assert.notEqual(capEff(plain.stdout), capEff(priv.stdout));
  assert.equal(priv.insp.ProcessConfig.privileged, true);
  assert.ok(BigInt(`0x${capEff(priv.stdout)}`) > BigInt(`0x${capEff(plain.stdout)}`));

  const missing = await execRun(id, { Cmd: ['no-such-binary'] });
  assert.match(missing.stdout, /executable file not found/);
  assert.equal(missing.insp.ExitCode, 127);

  // a second start of the same exec is a conflict
  const again = await d.api('POST', `/exec/${a.eid}/start`, { body: { Detach: true } });
  assert.equal(again.status, 409);
  assert.equal((await d.api('GET', '/exec/0000/json')).status, 404);
  assert.equal((await d.api('POST', `/containers/${id}/exec`, { body: { Cmd: [] } })).status, 400);
});

test('exec: detached start answers at once; resize; exec events', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'ex2');
  await d.api('POST', `/containers/${id}/start`);
  const since = Date.now() / 1000;
  const eid = await execCreate(id, { Cmd: ['sh', '-c', 'sleep 1; exit 4'] });
  const t0 = Date.now();
  const r = await d.api('POST', `/exec/${eid}/start`, { body: { Detach: true } });
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 < 900, 'detached start does not wait for the process');
  assert.equal((await d.api('GET', `/exec/${eid}/json`)).json().Running, true);
  await waitFor(async () => (await d.api('GET', `/exec/${eid}/json`)).json().ExitCode === 4);

  const tid = await execCreate(id, { Cmd: ['sleep', '5'], Tty: true });
  await d.api('POST', `/exec/${tid}/start`, { body: { Detach: true, Tty: true } });
  assert.equal((await d.api('POST', `/exec/${tid}/resize?h=40&w=100`)).status, 200);
  assert.equal((await d.api('POST', `/exec/${tid}/resize?h=x&w=100`)).status, 400);

  const ev = await d.api(
    'GET',
    `/events?since=${since}&until=${Date.now() / 1000}&filters=${encodeURIComponent(JSON.stringify({ event: ['exec_create', 'exec_die'], container: ['ex2'] }))}`,
  );
  const lines = ev.body
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.some((e) => e.Action === 'exec_create: sh -c sleep 1; exit 4' && e.Actor.Attributes.execID === eid));
  assert.ok(lines.some((e) => e.Action === 'exec_die' && e.Actor.Attributes.exitCode === '4'));
  assert.ok(lines.every((e) => e.Actor.ID === id));
});

test("exec: the output's framing follows the start request's Tty, not the exec's", { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'exframe');
  await d.api('POST', `/containers/${id}/start`);
  const start = async (create: boolean, startTty: boolean | undefined) => {
    const eid = await execCreate(id, { Cmd: ['sh', '-c', 'echo out; echo err >&2'], Tty: create });
    const h = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${eid}/start`, {
      body: startTty === undefined ? { Detach: false } : { Detach: false, Tty: startTty },
    });
    assert.equal(h.status, 101);
    await h.ended;
    return { head: h.head, raw: h.data() };
  };
  // A TTY exec started as SDKs do by default (no Tty, or false): multiplexed, as dockerd.
  for (const startTty of [undefined, false]) {
    const a = await start(true, startTty);
    assert.match(a.head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/i);
    assert.equal(a.raw[0], 1, 'a stdout frame header comes first');
    assert.deepEqual(demux(a.raw), { stdout: 'out\r\nerr\r\n', stderr: '' }); // one terminal
  }
  // A TTY exec started with Tty: raw.
  const b = await start(true, true);
  assert.match(b.head, /Content-Type: application\/vnd\.docker\.raw-stream/i);
  assert.equal(b.raw.toString(), 'out\r\nerr\r\n');
  // A plain exec started with Tty: raw too, stdout and stderr mixed.
  const c = await start(false, true);
  assert.match(c.head, /raw-stream/);
  assert.equal(c.raw.toString().split('\n').sort().join(','), ',err,out');
});

test('exec into a paused or stopped container is a 409; pause/unpause; top; resize', { skip }, async () => {
  const since = Date.now() / 1000;
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'], Tty: true }, 'ex3');
  await d.api('POST', `/containers/${id}/start`);
  assert.equal((await d.api('POST', `/containers/${id}/resize?h=30&w=90`)).status, 200);

  const top = (await d.api('GET', `/containers/${id}/top`)).json();
  assert.deepEqual(top.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.equal(top.Processes.length, 1);
  assert.equal(top.Processes[0][7], 'sleep 300');
  const aux = (await d.api('GET', `/containers/${id}/top?ps_args=aux`)).json();
  assert.equal(aux.Titles[0], 'USER');
  assert.equal(aux.Titles.at(-1), 'COMMAND');
  assert.equal((await d.api('GET', `/containers/${id}/top?ps_args=${encodeURIComponent('-o user=PID')}`)).status, 400);

  assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 204);
  const insp = (await d.api('GET', `/containers/${id}/json`)).json();
  assert.equal(insp.State.Status, 'paused');
  assert.equal(insp.State.Paused, true);
  const freezer = `/sys/fs/cgroup/freezer/berth-test-${d.root.split('-').pop()}/${id}/freezer.state`;
  const { readFile } = await import('node:fs/promises');
  const fz = await readFile(freezer, 'utf8').catch(() => undefined);
  if (fz !== undefined) assert.equal(fz.trim(), 'FROZEN');
  assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 409);
  const ex = await d.api('POST', `/containers/${id}/exec`, { body: { Cmd: ['true'] } });
  assert.equal(ex.status, 409);
  assert.match(ex.json().message, /is paused, unpause the container before exec/);
  assert.equal((await d.api('POST', `/containers/${id}/unpause`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/unpause`)).status, 409);
  assert.equal((await d.api('GET', `/containers/${id}/json`)).json().State.Status, 'running');
  const evs = (
    await d.api(
      'GET',
      `/events?since=${since}&until=${Date.now() / 1000}&filters=${encodeURIComponent('{"container":["ex3"]}')}`,
    )
  ).body
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    evs.map((e) => e.Action),
    ['create', 'start', 'resize', 'pause', 'unpause'],
  );
  assert.deepEqual([evs[2].Actor.Attributes.height, evs[2].Actor.Attributes.width], ['30', '90']);

  // stop while paused: the signal is delivered after a thaw
  await d.api('POST', `/containers/${id}/pause`);
  assert.equal((await d.api('POST', `/containers/${id}/stop?t=2`)).status, 204);
  const st = await d.api('POST', `/containers/${id}/exec`, { body: { Cmd: ['true'] } });
  assert.equal(st.status, 409);
  assert.match(st.json().message, /is not running/);
  assert.equal((await d.api('GET', `/containers/${id}/top`)).status, 409);
  assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 409);
});

test("stats: one-shot and streaming in Docker's shape", { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sh', '-c', 'while true; do :; done'] }, 'st1');
  await d.api('POST', `/containers/${id}/start`);
  const one = (await d.api('GET', `/containers/${id}/stats?stream=false`)).json();
  for (const k of [
    'read',
    'preread',
    'cpu_stats',
    'precpu_stats',
    'memory_stats',
    'pids_stats',
    'blkio_stats',
    'name',
    'id',
  ])
    assert.ok(k in one, k);
  assert.equal(one.name, '/st1');
  assert.ok(
    one.cpu_stats.cpu_usage.total_usage > one.precpu_stats.cpu_usage.total_usage,
    'precpu filled for stream=false',
  );
  assert.ok(one.cpu_stats.system_cpu_usage > one.precpu_stats.system_cpu_usage);
  assert.ok(one.cpu_stats.online_cpus >= 1);
  assert.ok(one.memory_stats.usage > 0 && one.memory_stats.limit > 0);
  assert.ok(one.pids_stats.current >= 1);
  assert.notEqual(one.preread, '0001-01-01T00:00:00Z');
  const shot = (await d.api('GET', `/containers/${id}/stats?stream=false&one-shot=true`)).json();
  assert.equal(shot.preread, '0001-01-01T00:00:00Z');

  // streaming: two samples a second apart on one response
  const h = await hijackRaw(d.socket, 'GET', `/containers/${id}/stats`, { upgrade: false });
  assert.equal(h.status, 200);
  await h.waitFor((b) => (b.toString().match(/"read"/g) ?? []).length >= 2, 5000);
  h.socket.destroy();
  await d.api('POST', `/containers/${id}/kill`);
  const stopped = (await d.api('GET', `/containers/${id}/stats?stream=false`)).json();
  assert.equal(stopped.read, '0001-01-01T00:00:00Z');
  assert.equal((await d.api('GET', '/containers/nosuch/stats?stream=false')).status, 404);
});
