// Container lifecycle through the Engine API against a real berthd (runc, shims, overlay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { demux } from './helpers/http.ts';
import { runToCompletion, createContainer, waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

test('run: output, exit code 0 and a non-zero exit code', { skip }, async () => {
  const ok = await runToCompletion(d, { Image: 'busybox', Cmd: ['echo', 'hello'] });
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, 'hello\n');
  const three = await runToCompletion(d, { Image: 'busybox', Cmd: ['sh', '-c', 'echo oops >&2; exit 3'] });
  assert.equal(three.code, 3);
  assert.equal(three.stderr, 'oops\n');
});

test('detached container: logs, ps, inspect, stop/start/restart/kill/rm', { skip }, async () => {
  const id = await createContainer(
    d,
    {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo started; trap "echo got-usr1" USR1; trap "exit 0" TERM; while true; do sleep 0.1; done'],
    },
    'web',
  );
  assert.equal((await d.api('POST', '/containers/web/start')).status, 204);
  assert.equal((await d.api('POST', '/containers/web/start')).status, 304, 'starting a running container is 304');
  await waitFor(async () =>
    demux((await d.api('GET', '/containers/web/logs?stdout=1')).body).stdout.includes('started'),
  );
  const ps = (await d.api('GET', '/containers/json')).json();
  assert.ok(
    ps.some((c: any) => c.Id === id && c.Names[0] === '/web' && c.State === 'running' && /^Up /.test(c.Status)),
  );
  const insp = (await d.api('GET', '/containers/web/json')).json();
  assert.equal(insp.State.Running, true);
  assert.ok(insp.State.Pid > 0);
  assert.equal(insp.Name, '/web');
  assert.equal(insp.Config.Hostname, id.slice(0, 12));
  assert.equal((await d.api('POST', '/containers/web/kill?signal=USR1')).status, 204);
  await waitFor(async () =>
    demux((await d.api('GET', '/containers/web/logs?stdout=1')).body).stdout.includes('got-usr1'),
  );
  assert.equal((await d.api('POST', '/containers/web/stop?t=5')).status, 204);
  let st = (await d.api('GET', '/containers/web/json')).json().State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.ExitCode, 0);
  assert.equal((await d.api('POST', '/containers/web/stop')).status, 304, 'stopping a stopped container is 304');
  assert.equal((await d.api('POST', '/containers/web/start')).status, 204);
  const pid1 = (await d.api('GET', '/containers/web/json')).json().State.Pid;
  assert.equal((await d.api('POST', '/containers/web/restart?t=5')).status, 204);
  st = (await d.api('GET', '/containers/web/json')).json().State;
  assert.equal(st.Running, true);
  assert.notEqual(st.Pid, pid1);
  const rmRunning = await d.api('DELETE', '/containers/web');
  assert.equal(rmRunning.status, 409);
  assert.match(rmRunning.json().message, /container is running: stop the container before removing or force remove/);
  assert.equal((await d.api('POST', '/containers/web/kill')).status, 204);
  st = (await d.api('GET', '/containers/web/json')).json().State;
  assert.equal(st.ExitCode, 137);
  assert.equal((await d.api('POST', '/containers/web/kill')).status, 409, 'killing a stopped container is 409');
  assert.equal((await d.api('DELETE', '/containers/web')).status, 204);
  assert.equal((await d.api('GET', '/containers/web/json')).status, 404);
});

test('wait conditions: not-running, next-exit before start, removed with AutoRemove', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sh', '-c', 'exit 7'] });
  const next = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  await new Promise((r) => setTimeout(r, 50));
  await d.api('POST', `/containers/${id}/start`);
  assert.deepEqual((await next).json(), { StatusCode: 7, Error: null });
  assert.equal((await d.api('POST', `/containers/${id}/wait`)).json().StatusCode, 7);
  const rmId = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'exit 4'],
    HostConfig: { AutoRemove: true },
  });
  const removed = d.api('POST', `/containers/${rmId}/wait?condition=removed`);
  await new Promise((r) => setTimeout(r, 50));
  await d.api('POST', `/containers/${rmId}/start`);
  assert.equal((await removed).json().StatusCode, 4);
  assert.equal((await d.api('GET', `/containers/${rmId}/json`)).status, 404);
  assert.equal((await d.api('POST', `/containers/${id}/wait?condition=bogus`)).status, 400);
});

test('Docker exit codes: 127 command not found, 126 not executable', { skip }, async () => {
  const nf = await createContainer(d, { Image: 'busybox', Cmd: ['/no/such/binary'] });
  const r = await d.api('POST', `/containers/${nf}/start`);
  assert.equal(r.status, 400);
  assert.match(r.json().message, /failed to create task for container/);
  assert.equal((await d.api('GET', `/containers/${nf}/json`)).json().State.ExitCode, 127);
  const ne = await createContainer(d, { Image: 'busybox', Cmd: ['/etc/passwd'] });
  await d.api('POST', `/containers/${ne}/start`);
  assert.equal((await d.api('GET', `/containers/${ne}/json`)).json().State.ExitCode, 126);
});

test('env, workdir, user by name and uid:gid, hostname', { skip }, async () => {
  const r = await runToCompletion(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'echo $FOO:$HOSTNAME; pwd; id -u; id -g; hostname'],
    Env: ['FOO=bar'],
    WorkingDir: '/tmp',
    User: 'nobody',
    Hostname: 'h1',
  });
  assert.equal(r.stdout, 'bar:h1\n/tmp\n65534\n65534\nh1\n');
  const r2 = await runToCompletion(d, { Image: 'busybox', Cmd: ['sh', '-c', 'id -u; id -g'], User: '33:100' });
  assert.equal(r2.stdout, '33\n100\n');
  const bad = await createContainer(d, { Image: 'busybox', Cmd: ['true'], User: 'nosuchuser' });
  const s = await d.api('POST', `/containers/${bad}/start`);
  assert.equal(s.status >= 400, true);
  assert.match(s.json().message, /unable to find user nosuchuser/);
});

test('binds with :ro, read-only rootfs, --init as PID 1', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bind-'));
  try {
    await writeFile(join(dir, 'in.txt'), 'from host\n');
    const rw = await runToCompletion(d, {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'cat /data/in.txt; echo out > /data/out.txt'],
      HostConfig: { Binds: [`${dir}:/data`] },
    });
    assert.equal(rw.code, 0);
    assert.equal(rw.stdout, 'from host\n');
    assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'out\n');
    const ro = await runToCompletion(d, {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo x > /data/y'],
      HostConfig: { Binds: [`${dir}:/data:ro`] },
    });
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const rofs = await runToCompletion(d, {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'touch /x'],
      HostConfig: { ReadonlyRootfs: true },
    });
    assert.notEqual(rofs.code, 0);
    const init = await runToCompletion(d, {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'],
      HostConfig: { Init: true },
    });
    assert.match(init.stdout, /^\/sbin\/docker-init -- sh/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('default isolation: capabilities, masked paths, /dev/shm, namespaces', { skip }, async () => {
  const r = await runToCompletion(d, {
    Image: 'busybox',
    Cmd: [
      'sh',
      '-c',
      'grep CapEff /proc/self/status; grep -c " /proc/keys " /proc/self/mountinfo; df -k /dev/shm | tail -1; readlink /proc/1/ns/pid; ip link 2>/dev/null | grep -c "^[0-9]"',
    ],
    HostConfig: { NetworkMode: 'none' },
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /CapEff:\s+00000000a80425fb/); // Docker's 14 default capabilities
  assert.equal(lines[1].trim(), '1'); // /proc/keys masked (a /dev/null bind)
  assert.match(lines[2], /65536/); // 64 MiB /dev/shm
  assert.notEqual(lines[3], (await readFile('/proc/self/ns/pid').catch(() => Buffer.from(''))).toString());
  assert.equal(lines[4].trim(), '1', 'network none: only loopback');
});

test('stdin for OpenStdin+StdinOnce through attach', { skip }, async () => {
  const r = await runToCompletion(
    d,
    { Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true },
    { stdin: 'piped through\n' },
  );
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'piped through\n');
});

test('restart policies: on-failure:2 counts, always restarts, stop suppresses', { skip }, async () => {
  const id = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'exit 1'],
    HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
  });
  await d.api('POST', `/containers/${id}/start`);
  await waitFor(async () => {
    const s = (await d.api('GET', `/containers/${id}/json`)).json();
    return s.RestartCount === 2 && s.State.Status === 'exited';
  }, 15_000);
  const a = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'sleep 0.2; exit 0'],
    HostConfig: { RestartPolicy: { Name: 'always' } },
  });
  await d.api('POST', `/containers/${a}/start`);
  await waitFor(async () => (await d.api('GET', `/containers/${a}/json`)).json().RestartCount >= 2, 15_000);
  assert.equal((await d.api('POST', `/containers/${a}/stop?t=1`)).status, 204);
  const before = (await d.api('GET', `/containers/${a}/json`)).json();
  await new Promise((r) => setTimeout(r, 800));
  const afterStop = (await d.api('GET', `/containers/${a}/json`)).json();
  assert.equal(afterStop.State.Running, false);
  assert.equal(afterStop.RestartCount, before.RestartCount);
});

test('logs: tail, timestamps, since, stderr only; json-file format on disk', { skip }, async () => {
  const id = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo out$i; done; sleep 0.2; echo err >&2'],
  });
  await d.api('POST', `/containers/${id}/start`);
  await d.api('POST', `/containers/${id}/wait`);
  // As in Docker, tail counts the records of both streams.
  assert.deepEqual(demux((await d.api('GET', `/containers/${id}/logs?stdout=1&stderr=1&tail=2`)).body), {
    stdout: 'out5\n',
    stderr: 'err\n',
  });
  assert.equal(demux((await d.api('GET', `/containers/${id}/logs?stderr=1`)).body).stderr, 'err\n');
  const ts = demux((await d.api('GET', `/containers/${id}/logs?stdout=1&timestamps=1&tail=2`)).body).stdout;
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out5\n$/);
  const future = Math.floor(Date.now() / 1000) + 100;
  assert.equal((await d.api('GET', `/containers/${id}/logs?stdout=1&since=${future}`)).body.length, 0);
  assert.equal((await d.api('GET', `/containers/${id}/logs`)).status, 400);
  const logPath = (await d.api('GET', `/containers/${id}/json`)).json().LogPath;
  const first = (await readFile(logPath, 'utf8')).split('\n')[0];
  assert.match(first, /^\{"log":"out1\\n","stream":"stdout","time":"[^"]+Z"\}$/);
});

test('log rotation with max-size/max-file', { skip }, async () => {
  const id = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done'],
    HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } } },
  });
  await d.api('POST', `/containers/${id}/start`);
  await d.api('POST', `/containers/${id}/wait`);
  const logPath = (await d.api('GET', `/containers/${id}/json`)).json().LogPath;
  const { readdir, stat } = await import('node:fs/promises');
  const base = logPath.split('/').pop()!;
  const files = (await readdir(join(logPath, '..'))).filter((f) => f.startsWith(base));
  assert.ok(files.length <= 3 && files.length >= 2, `files: ${files}`);
  for (const f of files) assert.ok((await stat(join(logPath, '..', f))).size <= 12_000);
  const tail = demux((await d.api('GET', `/containers/${id}/logs?stdout=1&tail=1`)).body).stdout;
  assert.equal(tail, 'line-1999-padding-padding-padding\n');
});

test('rename and name conflicts', { skip }, async () => {
  const a = await createContainer(d, { Image: 'busybox', Cmd: ['true'] }, 'ren-a');
  await createContainer(d, { Image: 'busybox', Cmd: ['true'] }, 'ren-b');
  const clash = await d.api('POST', `/containers/ren-a/rename?name=ren-b`);
  assert.equal(clash.status, 409);
  assert.equal((await d.api('POST', `/containers/ren-a/rename?name=ren-c`)).status, 204);
  assert.equal((await d.api('GET', `/containers/ren-c/json`)).json().Id, a);
  assert.equal((await d.api('GET', `/containers/ren-a/json`)).status, 404);
});

test('20 parallel creates with one name: exactly one wins, the rest get 409', { skip }, async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      d.api('POST', '/containers/create?name=samename', { body: { Image: 'busybox', Cmd: ['true'] } }),
    ),
  );
  assert.equal(results.filter((r) => r.status === 201).length, 1);
  const conflicts = results.filter((r) => r.status === 409);
  assert.equal(conflicts.length, 19);
  assert.match(conflicts[0].json().message, /Conflict. The container name "\/samename" is already in use/);
});

test('list filters and prune', { skip }, async () => {
  const l = await createContainer(d, { Image: 'busybox', Cmd: ['true'], Labels: { team: 'x' } }, 'filtered');
  const byLabel = (
    await d.api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['team=x'] }))}`)
  ).json();
  assert.deepEqual(
    byLabel.map((c: any) => c.Id),
    [l],
  );
  const byName = (
    await d.api(
      'GET',
      `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: { filtered: true } }))}`,
    )
  ).json();
  assert.equal(byName[0].Id, l);
  const created = (
    await d.api('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ status: ['created'] }))}`)
  ).json();
  assert.ok(created.some((c: any) => c.Id === l));
  assert.equal(
    (await d.api('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ bogus: ['x'] }))}`)).status,
    400,
  );
  const pr = (
    await d.api('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ label: ['team=x'] }))}`)
  ).json();
  assert.deepEqual(pr.ContainersDeleted, [l]);
});
