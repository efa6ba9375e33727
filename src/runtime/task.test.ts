// Integration tests: real containerd-shim-runc-v2, real runc, a busybox rootfs. Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createLogger } from '../common/logger.ts';
import { run } from '../sys/exec.ts';
import { mountsUnder, unmountRecursive } from '../sys/mountinfo.ts';
import { buildSpec, hostRlimits } from './spec.ts';
import type { SpecOptions } from './spec.ts';
import { listenEvents } from './events.ts';
import type { EventsServer } from './events.ts';
import { stdioPaths } from './stdio.ts';
import { socketPathOf, startShim } from './shim.ts';
import { Runtime, TaskStartError, classifyStartError } from './task.ts';
import type { TaskHandle } from './task.ts';
import { RUNC_BINARY, makeBusyboxRootfs, makeTestEnv, skipReason } from './testing.ts';
import type { TestEnv } from './testing.ts';

const skip = skipReason();

function collect(s: Readable): Promise<string> {
  const parts: Buffer[] = [];
  s.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve, reject) => {
    s.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    s.on('error', reject);
  });
}

/** Running (a zombie waiting for a slow pid 1 to reap it counts as gone). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('runtime with real shims and runc', { skip }, () => {
  let env: TestEnv;
  let rootfs: string;
  let events: EventsServer;
  let runtime: Runtime;
  const logLines: string[] = [];
  const tracked = new Map<string, { bundle: string; shimPid?: number }>();
  let seq = 0;

  before(async () => {
    env = makeTestEnv(mkdtempSync('/tmp/berth-rt-'));
    rootfs = await makeBusyboxRootfs(join(env.root, 'rootfs'));
    writeFileSync(join(rootfs, 'notexec'), '#!/bin/sh\necho no\n', { mode: 0o644 });
    const log = createLogger('debug', {}, (l) => {
      logLines.push(l);
      if (process.env.BERTH_TEST_DEBUG) process.stderr.write(l);
    });
    env.shimConfig.log = log;
    events = await listenEvents(env.shimConfig.ttrpcAddress, { log });
    runtime = new Runtime({ shim: env.shimConfig, runcBinary: RUNC_BINARY, runcRoot: env.runcRoot, log });
  });

  after(async () => {
    // whatever a failed test left behind: kill shims, let `shim delete` reap containers
    for (const [id, t] of tracked) {
      if (t.shimPid && alive(t.shimPid)) process.kill(t.shimPid, 'SIGKILL');
      if (existsSync(join(t.bundle, 'address'))) await runtime.cleanupDead(id, t.bundle).catch(() => {});
    }
    await events?.close();
    // runc removes each container's cgroup but not the parent it created for them
    const parent = `berth-test-${process.pid}`;
    for (const c of readdirSync('/sys/fs/cgroup', { withFileTypes: true })) {
      try {
        if (c.isDirectory()) rmdirSync(join('/sys/fs/cgroup', c.name, parent));
      } catch {
        /* not created in this hierarchy */
      }
    }
    if (env) {
      if (mountsUnder(env.root).length) unmountRecursive(env.root);
      env.cleanup();
    }
  });

  async function newTask(args: string[], opts: Partial<SpecOptions> & { stdin?: boolean } = {}): Promise<TaskHandle> {
    const id = `t${++seq}-${process.pid}`;
    const bundle = join(env.tasksDir, id);
    mkdirSync(bundle);
    tracked.set(id, { bundle });
    const { stdin, ...specOpts } = opts;
    const spec = buildSpec({
      id,
      args,
      hostRlimits: hostRlimits(),
      cgroupParent: `/berth-test-${process.pid}`,
      ...specOpts,
    });
    const h = await runtime.createTask({
      id,
      bundleDir: bundle,
      spec,
      stdio: stdioPaths(bundle, { stdin: stdin ?? false }),
      rootfs: [{ destination: '/', type: 'bind', source: rootfs, options: ['rbind', 'rw'] }],
    });
    tracked.get(id)!.shimPid = h.shim.pid;
    return h;
  }

  async function assertGone(h: TaskHandle): Promise<void> {
    assert.equal(existsSync(socketPathOf(h.shim.address)), false, 'shim socket removed');
    await until('shim exit', () => !alive(h.shim.pid));
    const list = await run(RUNC_BINARY, ['--root', join(env.runcRoot, env.shimConfig.namespace), 'list', '-q'], {
      allowFail: true,
    });
    assert.equal(
      list.stdout
        .toString()
        .split('\n')
        .filter((l) => l === h.id).length,
      0,
      'no runc state',
    );
    assert.deepEqual(mountsUnder(h.bundle), [], 'no mounts left in the bundle');
    assert.deepEqual(readdirSync(h.bundle), [], 'bundle emptied');
    tracked.delete(h.id);
  }

  test('echo hello: stdout, stderr, exit 0, then delete cleans everything', async () => {
    const h = await newTask(['sh', '-c', 'echo hello; echo oops >&2']);
    const out = collect(h.io!.stdout);
    const err = collect(h.io!.stderr);
    const w = h.wait();
    assert.ok((await h.start()) > 0);
    const exit = await w;
    assert.equal(exit.exitCode, 0);
    assert.ok(exit.exitedAt instanceof Date && Math.abs(exit.exitedAt.getTime() - Date.now()) < 60_000);
    assert.equal(await out, 'hello\n');
    assert.equal(await err, 'oops\n');
    assert.equal((await h.state()).status, 'stopped');
    const del = await h.delete();
    assert.equal(del.exitStatus, 0);
    await assertGone(h);
  });

  test('exit code is passed through', async () => {
    const h = await newTask(['sh', '-c', 'exit 3']);
    await h.start();
    assert.equal((await h.wait()).exitCode, 3);
    await h.delete();
    await assertGone(h);
  });

  test('missing binary → 127, not executable → 126, and nothing is left behind', async () => {
    for (const [args, code] of [
      [['/no/such/binary'], 127],
      [['nosuchcmd'], 127],
      [['/notexec'], 126],
    ] as const) {
      await assert.rejects(newTask([...args]), (e: unknown) => {
        assert.ok(e instanceof TaskStartError, String(e));
        assert.equal(e.exitCode, code, e.message);
        return true;
      });
      const id = `t${seq}-${process.pid}`;
      const bundle = join(env.tasksDir, id);
      assert.deepEqual(readdirSync(bundle), [], `bundle of ${args[0]} emptied`);
      tracked.delete(id);
    }
    assert.equal(classifyStartError('OCI runtime create failed: cgroup blah'), 125);
  });

  test('pipe size raised, SIGTERM through --init gives 143', async () => {
    const h = await newTask(['sleep', '100'], { init: true });
    assert.ok(h.io!.pipeSize >= 1 << 20, `pipe size ${h.io!.pipeSize}`);
    await h.start();
    assert.equal((await h.state()).status, 'running');
    // tini (pid 1) ignores signals until it installed its handlers: wait for its child
    await until('tini child', async () => (await h.shim.task.pids(h.id)).length >= 2);
    const w = h.wait();
    await h.kill('SIGTERM');
    assert.equal((await w).exitCode, 143);
    await h.delete();
    await assertGone(h);
  });

  test('stdin reaches the container; closeStdin ends it', async () => {
    const h = await newTask(['cat'], { stdin: true });
    const out = collect(h.io!.stdout);
    await h.start();
    h.io!.stdin!.write('abc\n');
    await h.closeStdin();
    assert.equal((await h.wait()).exitCode, 0);
    assert.equal(await out, 'abc\n');
    await h.delete();
    await assertGone(h);
  });

  test('exec a second process in a running container', async () => {
    const h = await newTask(['sleep', '100'], { init: true });
    await h.start();
    const proc = {
      ...buildSpec({ id: h.id, args: ['sh', '-c', 'echo from-exec; exit 5'], hostRlimits: hostRlimits() }).process!,
    };
    const ex = await h.exec('e1', proc, stdioPaths(h.bundle, { stdin: false, prefix: 'e1' }));
    const out = collect(ex.io.stdout);
    const w = ex.wait();
    await ex.start();
    assert.equal((await w).exitCode, 5);
    assert.equal(await out, 'from-exec\n');
    await ex.delete();
    await h.kill('SIGKILL');
    await h.wait();
    await h.delete();
    await assertGone(h);
  });

  test('berthd restart: drop the connection, restore via the address file, still running', async () => {
    const h = await newTask(['sh', '-c', 'while true; do echo tick; sleep 0.2; done'], { init: true });
    await h.start();
    h.close(); // what a dying berthd does to the connection and its fds
    await new Promise((r) => setTimeout(r, 300));
    const r = await runtime.restore(h.id, h.bundle);
    assert.equal(r.status, 'alive');
    if (r.status !== 'alive') return;
    assert.equal(r.state.status, 'running');
    assert.equal(r.handle.shim.pid, h.shim.pid);
    const first = await new Promise<string>((resolve) =>
      r.handle.io!.stdout.once('data', (b: Buffer) => resolve(b.toString())),
    );
    assert.match(first, /tick/);
    const w = r.handle.wait();
    await r.handle.kill('SIGKILL');
    assert.equal((await w).exitCode, 137);
    await r.handle.delete();
    await assertGone(r.handle);
  });

  test('exit while berthd is away is recovered from the shim', async () => {
    const h = await newTask(['sh', '-c', 'sleep 0.3; exit 7']);
    await h.start();
    h.close();
    await new Promise((r) => setTimeout(r, 800));
    const r = await runtime.restore(h.id, h.bundle);
    assert.equal(r.status, 'alive');
    if (r.status !== 'alive') return;
    assert.equal(r.state.status, 'stopped');
    assert.equal(r.state.exitStatus, 7);
    assert.equal((await r.handle.delete()).exitStatus, 7);
    await assertGone(r.handle);
  });

  test('shim log: a vanished reader does not kill the shim (SIGPIPE), and logs flow again after reconnect', async () => {
    const h = await newTask(['sleep', '100'], { init: true });
    await h.start();
    const shimPid = h.shim.pid;
    h.close(); // closes our read end of the log FIFO
    process.kill(shimPid, 'SIGUSR1'); // the shim dumps its goroutine stacks to its log (stderr)
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(shimPid), 'shim survived writing to a FIFO without reader');
    const r = await runtime.restore(h.id, h.bundle);
    assert.equal(r.status, 'alive');
    if (r.status !== 'alive') return;
    const before = logLines.length;
    process.kill(shimPid, 'SIGUSR1');
    await until('shim log line', () => logLines.slice(before).some((l) => l.includes('goroutine stack dump')));
    await r.handle.kill('SIGKILL');
    await r.handle.wait();
    await r.handle.delete();
    await assertGone(r.handle);
  });

  test('kill -9 of the shim: noticed through the connection, cleanupDead reaps container, runc state, mounts', async () => {
    const h = await newTask(['sleep', '100'], { init: true });
    await h.start();
    const containerPid = h.pid;
    assert.ok(alive(containerPid));
    assert.ok(mountsUnder(h.bundle).length > 0, 'rootfs mounted while running');
    const noticed = new Promise<void>((resolve) => h.onShimExit(resolve));
    process.kill(h.shim.pid, 'SIGKILL');
    await noticed;
    h.close();
    const res = await runtime.cleanupDead(h.id, h.bundle);
    assert.equal(res.exitCode, 137);
    assert.ok(res.exitedAt instanceof Date);
    await until('container process gone', () => !alive(containerPid));
    await assertGone(h);
  });

  test('restore of a bundle whose shim is gone reports dead', async () => {
    const h = await newTask(['sleep', '100'], { init: true });
    await h.start();
    h.close();
    process.kill(h.shim.pid, 'SIGKILL');
    await until('shim gone', () => !alive(h.shim.pid));
    const r = await runtime.restore(h.id, h.bundle);
    assert.equal(r.status, 'dead');
    if (r.status === 'dead') assert.equal(r.exitCode, 137);
    await assertGone(h);
  });

  test('berthd died between shim start and Create: restore stops the empty shim', async () => {
    const id = `t${++seq}-${process.pid}`;
    const bundle = join(env.tasksDir, id);
    mkdirSync(bundle);
    tracked.set(id, { bundle });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(buildSpec({ id, args: ['true'] })));
    const shim = await startShim(env.shimConfig, { id, bundle });
    tracked.get(id)!.shimPid = shim.pid;
    shim.close();
    const r = await runtime.restore(id, bundle);
    assert.deepEqual(
      { status: r.status, exitCode: r.status === 'dead' ? r.exitCode : 0 },
      { status: 'dead', exitCode: 255 },
    );
    await until('shim exit', () => !alive(shim.pid));
    assert.equal(existsSync(socketPathOf(shim.address)), false);
    assert.deepEqual(readdirSync(bundle), []);
    tracked.delete(id);
  });

  test('a bundle not named after the task is refused', async () => {
    const bundle = join(env.tasksDir, 'other-name');
    mkdirSync(bundle);
    await assert.rejects(
      startShim(env.shimConfig, { id: 'x1', bundle }),
      (e: Error & { kind?: string }) => e.kind === 'invalid-argument',
    );
  });
});
