// Faults around attach and exec: berthd SIGKILLed while a client is attached and while an
// exec runs; a client that stops reading; clients that hang up. Nothing may stall, grow
// without bound or leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { demux } from './helpers/http.ts';
import { createContainer, waitFor } from './helpers/containers.ts';
import { hijackRaw } from './helpers/stream.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function execCreate(id: string, body: Record<string, unknown>): Promise<string> {
  const r = await d.api('POST', `/containers/${id}/exec`, {
    body: { AttachStdout: true, AttachStderr: true, ...body },
  });
  assert.equal(r.status, 201, r.body.toString());
  return r.json().Id;
}

async function timedExec(id: string): Promise<number> {
  const t0 = Date.now();
  const eid = await execCreate(id, { Cmd: ['true'] });
  const h = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${eid}/start`, { body: { Detach: false } });
  await h.ended;
  assert.equal((await d.api('GET', `/exec/${eid}/json`)).json().ExitCode, 0);
  return Date.now() - t0;
}

test('berthd SIGKILLed with a client attached and an exec running: both keep running; afterwards attach and exec work and the exit code is reported', {
  skip,
}, async () => {
  const id = await createContainer(
    d,
    { Image: 'busybox', Cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done'] },
    'survivor',
  );
  await d.api('POST', `/containers/${id}/start`);
  const att = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdout=1`);
  await att.waitFor((b) => demux(b).stdout.includes('tick-2'));
  // one exec that finishes while berthd is down, one that outlives the restart
  const short = await execCreate(id, { Cmd: ['sh', '-c', 'sleep 0.5; exit 5'] });
  // Outlives the restart however long that takes on a loaded machine: it ends when told to.
  const long = await execCreate(id, {
    Cmd: ['sh', '-c', 'while [ ! -e /tmp/end-long ]; do sleep 0.1; done; echo done-long; exit 6'],
  });
  const hs = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${short}/start`, { body: { Detach: false } });
  const hl = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${long}/start`, { body: { Detach: false } });
  assert.equal(hs.status, 101);
  assert.equal(hl.status, 101);
  for (const e of [short, long])
    await waitFor(async () => (await d.api('GET', `/exec/${e}/json`)).json().Running === true);
  const shortPid = (await d.api('GET', `/exec/${short}/json`)).json().Pid;
  await d.stop('SIGKILL');
  await att.ended;
  // The short exec ends while berthd is down.
  await waitFor(async () => !existsSync(`/proc/${shortPid}`), 60_000);
  await d.start();
  const st = (await d.api('GET', `/containers/${id}/json`)).json().State;
  assert.equal(st.Running, true, 'the container kept running');
  assert.equal(
    (await d.api('GET', `/exec/${short}/json`)).json().ExitCode,
    5,
    'exit while berthd was down is reported',
  );
  const l = (await d.api('GET', `/exec/${long}/json`)).json();
  assert.equal(l.Running, true, `the exec kept running: ${JSON.stringify(l)}`);
  const end = await execCreate(id, { Cmd: ['touch', '/tmp/end-long'] });
  await (await hijackRaw(d.socket, 'POST', `/v1.47/exec/${end}/start`, { body: { Detach: false } })).ended;
  await waitFor(async () => (await d.api('GET', `/exec/${long}/json`)).json().ExitCode === 6, 60_000);
  const again = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdout=1`);
  await again.waitFor((b) => /tick-\d+/.test(demux(b).stdout));
  again.socket.destroy();
  // Not a speed target (those are in the bench): a stalled exec path would not answer at all.
  assert.ok((await timedExec(id)) < 20_000);
});

test('a client that stops reading does not stall berthd or other containers; memory stays bounded; nothing is dropped', {
  skip,
}, async () => {
  // No log driver: this measures the attach path, not the json-file writer.
  const flood = await createContainer(
    d,
    { Image: 'busybox', Cmd: ['yes'], HostConfig: { LogConfig: { Type: 'none' } } },
    'flood',
  );
  const other = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'quiet');
  await d.api('POST', `/containers/${other}/start`);
  const rss0 = rssKiB(d.proc.pid!);
  // attach without reading (the socket is paused), then start the flood
  const stalled = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${flood}/attach?stream=1&stdout=1`);
  stalled.socket.pause();
  await d.api('POST', `/containers/${flood}/start`);
  // an exec flood whose client does not read either: backpressure stops the process
  const eid = await execCreate(other, { Cmd: ['yes'] });
  const ex = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${eid}/start`, { body: { Detach: false } });
  ex.socket.pause();
  const samples: number[] = [];
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 500));
    samples.push(await timedExec(other));
  }
  const rss1 = rssKiB(d.proc.pid!);
  // A stall never answers; load alone can make one exec take seconds.
  assert.ok(Math.max(...samples) < 15_000, `exec stays responsive: ${samples.join(', ')} ms`);
  assert.ok(rss1 - rss0 < 100 * 1024, `berthd RSS grew ${(rss1 - rss0) / 1024} MiB`);
  // Nothing was dropped: the stalled client held the output back (Docker's blocking mode);
  // once it goes, the flood resumes and a reading client sees it.
  const reader = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${flood}/attach?stream=1&stdout=1`);
  stalled.socket.destroy();
  await reader.waitFor((b) => b.length > 1 << 16);
  reader.socket.destroy();
  ex.socket.destroy();
  await d.api('POST', `/containers/${flood}/kill`);
  await d.api('POST', `/containers/${other}/kill`);
});

test('clients hanging up mid-attach and mid-exec leak no fds, FIFOs or processes', { skip }, async () => {
  const id = await createContainer(
    d,
    { Image: 'busybox', Cmd: ['sh', '-c', 'while true; do echo x; sleep 0.05; done'], OpenStdin: true },
    'hangup',
  );
  await d.api('POST', `/containers/${id}/start`);
  await timedExec(id); // warm-up: lazily opened files are in the baseline
  const pid = d.proc.pid!;
  const fds0 = fdCount(pid);
  const fifos0 = readdirSync(`${d.execRoot}/tasks/${id}`).filter((n) => n.startsWith('exec-')).length;
  for (let i = 0; i < 10; i++) {
    const a = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdin=1&stdout=1&logs=1`);
    await a.waitFor((b) => b.length > 0);
    a.socket.destroy();
    const eid = await execCreate(id, {
      Cmd: ['sh', '-c', 'while true; do echo y; sleep 0.05; done'],
      AttachStdin: true,
    });
    const e = await hijackRaw(d.socket, 'POST', `/v1.47/exec/${eid}/start`, { body: { Detach: false } });
    await e.waitFor((b) => b.length > 0);
    e.socket.destroy();
  }
  // the execs keep running (as with Docker); killing the container ends them
  const top = (await d.api('GET', `/containers/${id}/top`)).json();
  assert.ok(top.Processes.length >= 11);
  await d.api('POST', `/containers/${id}/kill`);
  await d.api('POST', `/containers/${id}/start`);
  await timedExec(id);
  await waitFor(async () => fdCount(pid) <= fds0 + 2, 60_000).catch(() => {});
  assert.ok(fdCount(pid) <= fds0 + 2, `fds: ${fds0} before, ${fdCount(pid)} after`);
  const fifos1 = readdirSync(`${d.execRoot}/tasks/${id}`).filter((n) => n.startsWith('exec-')).length;
  assert.equal(fifos1, fifos0, 'no exec FIFOs left behind');
});
