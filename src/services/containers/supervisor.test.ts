// The supervisor against a fake task runtime (no root, no shims): launch, exit handling,
// the restart policy's backoff kept in the container's Live, auto-removal, pause and the
// health-probe seam, cancellation before the task exists, and refusal of illegal
// transitions. The real runtime is exercised by the integration tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../../common/logger.ts';
import { KeyedMutex } from '../../common/mutex.ts';
import { Background } from '../../common/background.ts';
import { ContainerStore, type Container } from '../../containers/store.ts';
import { initialState, type HostConfig } from '../../containers/types.ts';
import { IllegalTransition, observeIllegalTransitions } from '../../containers/state-machine.ts';
import { EventBus } from '../../events/bus.ts';
import type { ImageStore } from '../../images/store.ts';
import { LiveRegistry } from './live.ts';
import { ExecRegistry } from './exec-registry.ts';
import type { Task, TaskExit, TaskRuntime } from './ports.ts';
import { Supervisor, type TaskProbes } from './supervisor.ts';
import type { ContainerVolumes } from './volume-port.ts';

/** Containers without mounts: the volume service has nothing to do. */
const noVolumes: ContainerVolumes = {
  prepare: async () => [],
  abandon: async () => {},
  attach: async () => ({ mounts: [], created() {}, release: async () => {} }),
  detach: async () => {},
  forget: async () => {},
  adopt: async () => {},
  forView: async () => ({ binds: [], release() {} }),
  sourceOf: () => '',
};

interface FakeTask extends Task {
  exit(code: number): void;
  calls: string[];
}

let nextPid = 100;

function fakeTask(): FakeTask {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let done!: (e: TaskExit) => void;
  const exited = new Promise<TaskExit>((r) => (done = r));
  const calls: string[] = [];
  const pid = nextPid++;
  const exit = (code: number) => {
    stdout.end();
    stderr.end();
    done({ exitCode: code, exitedAt: new Date().toISOString() });
  };
  return {
    pid,
    io: { stdout, stderr, stdin: null },
    calls,
    exit,
    start: async () => {
      calls.push('start');
      return pid;
    },
    kill: async (sig) => {
      calls.push(`kill ${sig}`);
      if (sig === 9 || sig === 15) exit(128 + sig);
    },
    wait: () => exited,
    onOom: () => {},
    updateResources: async () => void calls.push('update'),
    closeStdin: async () => {},
    delete: async () => void calls.push('delete'),
    resize: async () => {},
    pause: async () => void calls.push('pause'),
    resume: async () => void calls.push('resume'),
    pids: async () => [pid],
    exec: async () => {
      throw new Error('no exec in this fake');
    },
    restoreExec: async () => undefined,
  };
}

async function harness(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), 'berth-supervisor-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = new ContainerStore(join(root, 'containers'));
  await store.load();
  const tasks: FakeTask[] = [];
  let creates = 0;
  const runtime: TaskRuntime = {
    prepareUserns: async () => undefined,
    buildSpec: async () => ({}),
    create: async () => {
      creates++;
      const task = fakeTask();
      tasks.push(task);
      return task;
    },
    restore: async () => undefined,
    cleanup: async () => {},
    listTasks: async () => [],
    buildExecProcess: async () => ({}),
    cgroupStats: async () => undefined,
    exitCodeFor: () => 125,
  };
  const image = { doc: { rootfs: { diff_ids: [] } } };
  const images = { get: () => image } as unknown as ImageStore;
  const probes: string[] = [];
  const probeSeam: TaskProbes = {
    start: (c) => probes.push(`start ${c.record.name}`),
    stop: (id) => probes.push(`stop ${store.get(id)?.record.name ?? id}`),
  };
  const events = new EventBus();
  const live = new LiveRegistry();
  const life = new AbortController();
  const sup = new Supervisor({
    store,
    images,
    layers: {
      lowerDirs: () => [],
      rootfsMounts: () => [],
      prepareRw: async () => {},
      readFile: async () => undefined,
      dirSize: async () => 0,
    },
    runtime,
    events,
    live,
    execs: new ExecRegistry(),
    locks: new KeyedMutex(),
    volumes: noVolumes,
    background: new Background(),
    settings: { logDefaults: { maxSize: -1, maxFile: 1 }, logDriver: 'none', logOpts: {} },
    ctx: { signal: life.signal, log: silentLogger },
    probes: probeSeam,
  });
  t.after(async () => life.abort());
  let n = 0;
  const add = async (hostConfig: HostConfig = {}): Promise<Container> => {
    const id = (++n).toString(16).padStart(64, '0');
    const c: Container = {
      record: {
        schema: 1,
        id,
        name: `c${n}`,
        created: new Date().toISOString(),
        path: 'true',
        args: [],
        config: { Image: 'busybox', Labels: { team: 'a' } },
        hostConfig,
        image: 'sha256:00' as never,
        logPath: join(root, `${id}.log`),
      },
      runtime: initialState(),
    };
    await mkdir(store.dir(id), { recursive: true });
    await store.add(c);
    return c;
  };
  const actions = (id: string) =>
    events
      .since(0)
      .filter((e) => e.Actor.ID === id)
      .map((e) => e.Action);
  const ctx = { signal: new AbortController().signal, log: silentLogger };
  return { sup, store, live, tasks, probes, events, actions, add, ctx, creates: () => creates };
}

const exitOf = (live: LiveRegistry, c: Container) =>
  new Promise<number>((r) => live.get(c.record.id).events.once('exit', r));
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

test('launch runs the task and records it; its exit is recorded, told and torn down', async (t) => {
  const h = await harness(t);
  const c = await h.add();
  await h.sup.launch(h.ctx, c, { manual: true });
  const task = h.tasks[0];
  assert.equal(c.runtime.state.Status, 'running');
  assert.equal(c.runtime.state.Pid, task.pid);
  assert.equal(h.sup.taskOf(c), task);
  const code = exitOf(h.live, c);
  task.exit(3);
  assert.equal(await code, 3);
  await h.sup.settled(c);
  assert.deepEqual([c.runtime.state.Status, c.runtime.state.ExitCode, c.runtime.state.Pid], ['exited', 3, 0]);
  assert.equal(h.sup.taskOf(c), undefined);
  assert.deepEqual(task.calls, ['start', 'delete']);
  assert.deepEqual(h.actions(c.record.id), ['start', 'die']);
  assert.deepEqual(h.probes, ['start c1', 'stop c1']);
});

test('on-failure restarts with a doubling backoff kept per container, up to its maximum', async (t) => {
  const h = await harness(t);
  const c = await h.add({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } });
  await h.sup.launch(h.ctx, c, { manual: true });
  const live = h.live.get(c.record.id);
  h.tasks[0].exit(1);
  await until(() => h.tasks.length === 2 && c.runtime.state.Status === 'running');
  assert.equal(live.restartDelayMs, 100);
  assert.equal(c.runtime.restartCount, 1);
  h.tasks[1].exit(1);
  await until(() => h.tasks.length === 3 && c.runtime.state.Status === 'running');
  assert.equal(live.restartDelayMs, 200);
  assert.equal(c.runtime.restartCount, 2);
  h.tasks[2].exit(1);
  await until(() => c.runtime.state.Status === 'exited');
  await h.sup.settled(c);
  assert.equal(h.tasks.length, 3, 'no third restart');
  assert.deepEqual(h.actions(c.record.id), ['start', 'die', 'start', 'restart', 'die', 'start', 'restart', 'die']);
  // A manual start resets the backoff (Docker resets its restart manager).
  await h.sup.launch(h.ctx, c, { manual: true });
  assert.equal(live.restartDelayMs, 0);
});

test('a pending restart is cancelled: the container stays exited', async (t) => {
  const h = await harness(t);
  const c = await h.add({ RestartPolicy: { Name: 'always' } });
  await h.sup.launch(h.ctx, c, { manual: true });
  // Long enough a backoff that the timer cannot fire during the test.
  h.live.get(c.record.id).restartDelayMs = 30_000;
  h.tasks[0].exit(0);
  await until(() => c.runtime.state.Status === 'restarting');
  await h.sup.settled(c);
  assert.equal(h.sup.cancelRestart(c), true);
  assert.equal(c.runtime.state.Status, 'exited');
  assert.equal(h.live.get(c.record.id).restartTimer, undefined);
  assert.equal(h.sup.cancelRestart(c), false);
});

test('auto-removal takes the container off the books after its exit', async (t) => {
  const h = await harness(t);
  const c = await h.add({ AutoRemove: true });
  await h.sup.launch(h.ctx, c, { manual: true });
  const removed = new Promise<number>((r) => h.live.get(c.record.id).events.once('removed', r));
  h.tasks[0].exit(0);
  assert.equal(await removed, 0);
  assert.equal(h.store.get(c.record.id), undefined);
  assert.equal(h.live.peek(c.record.id), undefined);
  const destroy = h.events.since(0).find((e) => e.Action === 'destroy');
  assert.deepEqual(destroy?.Actor.Attributes, { image: 'busybox', name: 'c1' });
});

test('remove refuses a running container unless forced, then kills it first', async (t) => {
  const h = await harness(t);
  const c = await h.add();
  await h.sup.launch(h.ctx, c, { manual: true });
  await assert.rejects(h.sup.remove(c, {}), /container is running: stop the container before removing/);
  await h.sup.remove(c, { force: true });
  assert.deepEqual(h.tasks[0].calls, ['start', 'kill 9', 'delete']);
  assert.equal(h.store.get(c.record.id), undefined);
  assert.equal(c.runtime.manuallyStopped, true);
});

test('pause and resume move the status and the health probes; a signal thaws', async (t) => {
  const h = await harness(t);
  const c = await h.add();
  await h.sup.launch(h.ctx, c, { manual: true });
  await h.sup.pause(c);
  assert.equal(c.runtime.state.Status, 'paused');
  await h.sup.resume(c);
  assert.equal(c.runtime.state.Status, 'running');
  await h.sup.pause(c);
  await h.sup.signal(c, 10);
  assert.equal(c.runtime.state.Status, 'running');
  assert.deepEqual(h.tasks[0].calls, ['start', 'pause', 'resume', 'pause', 'kill 10', 'resume']);
  assert.deepEqual(h.probes, ['start c1', 'stop c1', 'start c1', 'stop c1', 'start c1']);
  assert.deepEqual(h.actions(c.record.id), ['start', 'unpause']);
});

test('a cancelled launch creates no task and records no failure', async (t) => {
  const h = await harness(t);
  const c = await h.add();
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(h.sup.launch({ signal: ac.signal, log: silentLogger }, c, { manual: true }), {
    name: 'AbortError',
  });
  assert.equal(h.creates(), 0);
  assert.deepEqual([c.runtime.state.Status, c.runtime.state.Error, c.runtime.state.ExitCode], ['created', '', 0]);
});

test('launching a container being removed is an illegal transition, refused before any task', async (t) => {
  const h = await harness(t);
  const c = await h.add();
  const seen: string[] = [];
  const prev = observeIllegalTransitions((e) => seen.push(`${e.from}>${e.to}`));
  t.after(async () => void observeIllegalTransitions(prev));
  c.runtime = { ...c.runtime, state: { ...c.runtime.state, Status: 'removing' } };
  await assert.rejects(h.sup.launch(h.ctx, c, { manual: true }), IllegalTransition);
  assert.equal(h.creates(), 0);
  assert.deepEqual(seen, ['removing>running']);
});

test('waitExit after the exit is recorded but while the teardown runs: resolves at once', async (t) => {
  const h = await harness(t);
  const c = await h.add();
  await h.sup.launch(h.ctx, c, { manual: true });
  const task = h.tasks[0];
  let finishDelete!: () => void;
  task.delete = () => new Promise<void>((r) => (finishDelete = r));
  const code = exitOf(h.live, c);
  task.exit(0);
  await code;
  // The window a stop with a short timeout lands in: exit told, task deleted later.
  assert.ok(h.sup.settling(c));
  assert.equal(await h.sup.waitExit(c, -1), true);
  await until(() => finishDelete !== undefined);
  finishDelete();
  await h.sup.settled(c);
});
