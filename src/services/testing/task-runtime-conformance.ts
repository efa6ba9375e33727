// The TaskRuntime port's contract as one reusable test suite (containerd's snapshotter
// testsuite is the model): every implementation — the real adapter over shims and runc, the
// in-memory fake, a CRI runtime later — runs the same tests through a harness, so the
// services can rely on the contract rather than on one implementation's habits.
//
// Programs are named by intent (`Program`); each harness says how its containers run them
// (busybox shell for the real runtime, JavaScript for the fake). Each test gets a fresh
// harness, and its close() is expected to fail the test when anything outlives it.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BerthError } from '../../common/errors.ts';
import type { CreateTaskRequest, ExecProcess, SpecInput, Task, TaskExit, TaskRuntime } from '../containers/ports.ts';
import { harnessTest, rejectsWithKind, type ConformanceOptions } from './conformance.ts';
import { capture } from './streams.ts';

/** What an answer is, for a failed assertion's message (a live task holds timers: no JSON). */
function shape(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${k}: ${x !== null && typeof x === 'object' && !('exitCode' in x) ? '…' : JSON.stringify(x)}`)
    .join(', ')} }`;
}

/** What a test's container runs; a harness maps each to its own argv. */
export type Program =
  /** Writes the texts (stdout, then stderr) and exits with `code`. */
  | { kind: 'exit'; code: number; stdout?: string; stderr?: string }
  /** Copies stdin to stdout until end of file, then exits 0. */
  | { kind: 'cat' }
  /** Runs until killed; handles no signal (so as a container's init it ignores SIGTERM). */
  | { kind: 'sleep' }
  /** Installs a handler for SIGTERM that exits with `code`, then writes "ready\n" and waits. */
  | { kind: 'trap'; code: number }
  /** Starts two child processes that run until killed, writes "ready\n", waits for them. */
  | { kind: 'children' }
  /** Writes the value of environment variable `name` and a newline, exits 0. */
  | { kind: 'env'; name: string }
  /** Reads one line of stdin, then writes its terminal's size as "rows cols\n", exits 0. */
  | { kind: 'tty-size' }
  /** An executable that does not exist. */
  | { kind: 'missing' }
  /** A file that exists but is not executable. */
  | { kind: 'not-executable' };

export interface TaskRuntimeHarness {
  /** The runtime under test (replaced by restart()). */
  runtime: TaskRuntime;
  /** The argv that runs `p` in this runtime's containers. */
  args(p: Program): string[];
  /** The root filesystem of a new task: a fresh read-write layer over the test image. */
  rootfs(id: string): Promise<CreateTaskRequest['rootfs']>;
  /** The test image's files (its /etc/passwd knows root and nobody only). */
  readImageFile(path: string): Promise<Buffer | undefined>;
  /**
   * The owner goes away — its connections and fds are dropped, tasks keep running — and a
   * new runtime takes over the same host state (berthd restarting). Returns the new one.
   */
  restart(): Promise<TaskRuntime>;
  /** The process that supervises task `id` (its shim) dies behind the runtime's back. */
  killSupervisor(id: string): Promise<void>;
  /** Whether a host pid is a live (not zombie) process. */
  alive(pid: number): boolean;
  /** Removes everything the test made; rejects when something was left behind (a leak). */
  close(): Promise<void>;
}

const newId = () => randomBytes(32).toString('hex');

function assertRecentExit(e: TaskExit, code: number, what: string): void {
  assert.equal(e.exitCode, code, what);
  const at = Date.parse(e.exitedAt);
  assert.ok(Number.isFinite(at) && Math.abs(at - Date.now()) < 120_000, `${what}: exitedAt ${e.exitedAt}`);
}

/**
 * Registers the suite. `make` builds a fresh harness for each test; the harness is closed
 * after it (whether the test passed or not).
 */
export function taskRuntimeConformance(
  name: string,
  make: () => Promise<TaskRuntimeHarness>,
  opts: ConformanceOptions = {},
): void {
  const it = harnessTest(make);

  /** A create request for `p`, its spec built by the runtime itself. */
  async function request(
    h: TaskRuntimeHarness,
    p: Program,
    o: { id?: string; terminal?: boolean; openStdin?: boolean; user?: string; env?: string[] } = {},
  ): Promise<CreateTaskRequest> {
    const id = o.id ?? newId();
    const input: SpecInput = {
      id,
      args: h.args(p),
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...(o.env ?? [])],
      cwd: '/',
      user: o.user ?? '',
      readImageFile: (path) => h.readImageFile(path),
      terminal: Boolean(o.terminal),
      hostname: 'conformance',
      domainname: '',
      readonlyRootfs: false,
      mounts: [],
      hostFiles: { hostname: '', hosts: '', resolvConf: '' },
      network: 'private',
      init: false,
      hostConfig: {},
    };
    return {
      id,
      spec: await h.runtime.buildSpec(input),
      rootfs: await h.rootfs(id),
      terminal: Boolean(o.terminal),
      openStdin: Boolean(o.openStdin),
    };
  }

  /** Creates and starts a task running `p`, its output read from the first byte. */
  async function started(h: TaskRuntimeHarness, p: Program, o: Parameters<typeof request>[2] = {}) {
    const req = await request(h, p, o);
    const task = await h.runtime.create(req);
    const out = capture(task.io.stdout);
    const err = task.io.stderr ? capture(task.io.stderr) : undefined;
    await task.start();
    return { id: req.id, task, out, err };
  }

  /** Adds a process running `p` to container `id` (not started). */
  async function execIn(
    h: TaskRuntimeHarness,
    id: string,
    task: Task,
    p: Program,
    o: { execId?: string; openStdin?: boolean; env?: string[] } = {},
  ): Promise<ExecProcess> {
    const process = await h.runtime.buildExecProcess({
      containerId: id,
      args: h.args(p),
      env: o.env ?? [],
      cwd: '',
      user: '',
      terminal: false,
      privileged: false,
      readImageFile: (path) => h.readImageFile(path),
    });
    return task.exec({ execId: o.execId ?? newId(), process, terminal: false, openStdin: Boolean(o.openStdin) });
  }

  const notListed = async (rt: TaskRuntime, id: string) =>
    assert.ok(!(await rt.listTasks()).includes(id), `${id.slice(0, 12)} no longer listed`);

  describe(`${name}: TaskRuntime conformance`, { skip: opts.skip }, () => {
    describe('lifecycle', () => {
      it('create, start, wait, delete: separate stdout and stderr that end, the exit code and time', async (h) => {
        const req = await request(h, { kind: 'exit', code: 0, stdout: 'hello\n', stderr: 'oops\n' });
        const task = await h.runtime.create(req);
        assert.ok(task.pid > 0, 'a created task has its pid');
        assert.ok(task.io.stderr, 'stderr apart without a terminal');
        assert.equal(task.io.stdin, null, 'no stdin without openStdin');
        const out = capture(task.io.stdout);
        const err = capture(task.io.stderr);
        assert.equal(await task.start(), task.pid, 'start answers the same pid');
        assertRecentExit(await task.wait(), 0, 'exit');
        assert.equal(await out.done, 'hello\n');
        assert.equal(await err.done, 'oops\n');
        await task.delete();
        await notListed(h.runtime, req.id);
      });

      it('exit codes pass through', async (h) => {
        const codes = [0, 1, 3, 255];
        const runs = await Promise.all(codes.map((code) => started(h, { kind: 'exit', code })));
        for (const [i, { task }] of runs.entries()) assertRecentExit(await task.wait(), codes[i], `exit ${codes[i]}`);
        await Promise.all(runs.map(({ task }) => task.delete()));
      });

      it('a created task is listed before it starts; deleting it unstarted leaves nothing', async (h) => {
        const req = await request(h, { kind: 'sleep' });
        const task = await h.runtime.create(req);
        assert.ok((await h.runtime.listTasks()).includes(req.id), 'listed once created');
        await task.delete();
        await notListed(h.runtime, req.id);
        assert.equal(h.alive(task.pid), false, 'its init is gone');
        assert.equal(await h.runtime.restore(req.id, { terminal: false, openStdin: false }), undefined);
      });

      it('wait gives every caller the same exit, also long after it', async (h) => {
        const { task } = await started(h, { kind: 'exit', code: 5 });
        const [a, b] = await Promise.all([task.wait(), task.wait()]);
        assert.deepEqual(a, b);
        assert.deepEqual(await task.wait(), a);
        await task.delete();
        assert.deepEqual(await task.wait(), a, 'even after delete');
      });

      it('delete is idempotent, also when called concurrently; cleanup after it is a no-op', async (h) => {
        const { id, task } = await started(h, { kind: 'exit', code: 0 });
        await task.wait();
        await Promise.all([task.delete(), task.delete()]);
        await task.delete();
        await h.runtime.cleanup(id);
        await notListed(h.runtime, id);
        assert.equal(await h.runtime.restore(id, { terminal: false, openStdin: false }), undefined);
      });

      it('delete of a running task kills it first', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const exit = task.wait();
        await task.delete();
        assert.equal((await exit).exitCode, 137);
        assert.equal(h.alive(task.pid), false, 'its init is gone');
        await notListed(h.runtime, id);
      });

      it('a deleted task refuses further operations with not-found', async (h) => {
        const { task } = await started(h, { kind: 'exit', code: 0 });
        await task.wait();
        await task.delete();
        await rejectsWithKind(task.kill(9), 'not-found', 'kill');
        await rejectsWithKind(task.pause(), 'not-found', 'pause');
        await rejectsWithKind(task.resume(), 'not-found', 'resume');
        await rejectsWithKind(
          task.exec({ execId: newId(), process: {}, terminal: false, openStdin: false }),
          'not-found',
          'exec',
        );
      });

      it('create of an ID that has a task is a conflict, and that task is left whole', async (h) => {
        const first = await started(h, { kind: 'cat' }, { openStdin: true });
        const again = await request(h, { kind: 'exit', code: 0 }, { id: first.id });
        await rejectsWithKind(h.runtime.create(again), 'conflict', 'second create');
        // Its stdio still flows and its files are still there (a program still starts in it).
        first.task.io.stdin!.write('still here\n');
        await first.out.includes('still here\n');
        const e = await execIn(h, first.id, first.task, { kind: 'exit', code: 4 });
        await e.start();
        assert.equal((await e.wait()).exitCode, 4);
        await e.delete();
        await first.task.closeStdin();
        assert.equal((await first.task.wait()).exitCode, 0);
        await first.task.delete();
      });

      it('cgroupStats: a sample while it runs (its processes counted), none once deleted', async (h) => {
        const { id, task, out } = await started(h, { kind: 'children' });
        await out.includes('ready\n');
        const s = await h.runtime.cgroupStats(id);
        assert.ok(s, 'a sample');
        assert.ok(s.pids.current >= 3, `pids.current ${s.pids.current}`);
        assert.ok(s.memory.usage > 0, `memory.usage ${s.memory.usage}`);
        await task.kill(9, true);
        await task.wait();
        await task.delete();
        assert.equal(await h.runtime.cgroupStats(id), undefined);
        assert.equal(await h.runtime.cgroupStats(newId()), undefined, 'unknown ID');
      });
    });

    describe('start errors', () => {
      for (const [kind, code] of [
        ['missing', 127],
        ['not-executable', 126],
      ] as const) {
        it(`a ${kind} executable fails create or start; exitCodeFor says ${code}; nothing is left`, async (h) => {
          const req = await request(h, { kind });
          let task: Task | undefined;
          const err = await h.runtime.create(req).then(
            (t) => {
              task = t;
              return t.start().then(
                () => assert.fail('a program that cannot run was started'),
                (e: unknown) => e,
              );
            },
            (e: unknown) => e,
          );
          assert.ok(err instanceof BerthError, `a BerthError, not ${String(err)}`);
          assert.equal(h.runtime.exitCodeFor(err), code, err.message);
          await task?.delete();
          await notListed(h.runtime, req.id);
        });
      }

      it('exitCodeFor of any other error is 125', async (h) => {
        assert.equal(h.runtime.exitCodeFor(new Error('something else')), 125);
        assert.equal(h.runtime.exitCodeFor(undefined), 125);
      });

      it('buildSpec refuses a user or group the image does not have (invalid-argument)', async (h) => {
        await rejectsWithKind(request(h, { kind: 'sleep' }, { user: 'nosuchuser' }), 'invalid-argument', 'user');
        await rejectsWithKind(request(h, { kind: 'sleep' }, { user: 'root:nosuchgroup' }), 'invalid-argument', 'group');
      });
    });

    describe('signals and processes', () => {
      it('an init ignores a signal it has no handler for; SIGKILL ends it with 137', async (h) => {
        const { task } = await started(h, { kind: 'sleep' });
        await task.kill(15);
        assert.deepEqual(await task.pids(), [task.pid], 'still running after SIGTERM');
        await task.kill(9);
        assertRecentExit(await task.wait(), 137, 'SIGKILL, not the SIGTERM before it');
        await task.delete();
      });

      it('a signal the program handles ends it with the code the program chose', async (h) => {
        const { task, out } = await started(h, { kind: 'trap', code: 3 });
        await out.includes('ready\n');
        await task.kill(15);
        assert.equal((await task.wait()).exitCode, 3);
        await task.delete();
      });

      it('pids lists every process; kill with `all` reaches all of them', async (h) => {
        const { task, out } = await started(h, { kind: 'children' });
        await out.includes('ready\n');
        const pids = await task.pids();
        assert.ok(pids.includes(task.pid), `init ${task.pid} in ${pids}`);
        assert.ok(pids.length >= 3, `init and two children: ${pids}`);
        await task.kill(9, true);
        assert.equal((await task.wait()).exitCode, 137);
        await out.done;
        for (const p of pids) assert.equal(h.alive(p), false, `pid ${p} gone`);
        assert.deepEqual(await task.pids(), [], 'no pids once it exited');
        await task.delete();
      });

      it('kill after the exit is not-found', async (h) => {
        const { task } = await started(h, { kind: 'exit', code: 0 });
        await task.wait();
        await rejectsWithKind(task.kill(15), 'not-found', 'kill after exit');
        await task.delete();
      });
    });

    describe('stdio', () => {
      it('stdin reaches the program; closeStdin is its end of file; stdout then ends', async (h) => {
        const { task, out } = await started(h, { kind: 'cat' }, { openStdin: true });
        assert.ok(task.io.stdin, 'a stdin with openStdin');
        task.io.stdin.write('one\n');
        await out.includes('one\n');
        task.io.stdin.write('two\n');
        await task.closeStdin();
        assert.equal((await task.wait()).exitCode, 0);
        assert.equal(await out.done, 'one\ntwo\n');
        await task.delete();
      });

      it('a terminal: one output stream, and resize reaches the program', async (h) => {
        const { task, out, err } = await started(h, { kind: 'tty-size' }, { terminal: true, openStdin: true });
        assert.equal(err, undefined, 'no stderr with a terminal');
        await task.resize(100, 33);
        task.io.stdin!.write('go\n');
        await out.includes('33 100');
        assert.equal((await task.wait()).exitCode, 0);
        await task.delete();
      });
    });

    describe('pause and resume', () => {
      it('pause freezes the task and resume thaws it', async (h) => {
        const { task, out } = await started(h, { kind: 'cat' }, { openStdin: true });
        task.io.stdin!.write('a\n');
        await out.includes('a\n');
        await task.pause();
        task.io.stdin!.write('b\n');
        // A frozen task makes no progress: nothing is echoed while it stays paused (a
        // slow machine can only make this pass, never fail).
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(out.text(), 'a\n', 'no output while paused');
        await task.resume();
        await out.includes('b\n');
        await task.closeStdin();
        assert.equal((await task.wait()).exitCode, 0);
        await task.delete();
      });

      it('pause of a paused task, resume of a running one, exec in a paused one: conflicts', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        await rejectsWithKind(task.resume(), 'conflict', 'resume of a running task');
        await task.pause();
        await rejectsWithKind(task.pause(), 'conflict', 'pause twice');
        await rejectsWithKind(
          execIn(h, id, task, { kind: 'exit', code: 0 }).then((e) => e.start()),
          'conflict',
          'exec while paused',
        );
        await task.resume();
        await task.kill(9);
        await task.wait();
        await task.delete();
      });

      it('pause and resume of a task that exited are conflicts', async (h) => {
        const { task } = await started(h, { kind: 'exit', code: 0 });
        await task.wait();
        await rejectsWithKind(task.pause(), 'conflict', 'pause');
        await rejectsWithKind(task.resume(), 'conflict', 'resume');
        await task.delete();
      });
    });

    describe('exec processes', () => {
      it('an exec has its own output and exit code, and the container env plus its own', async (h) => {
        const { id, task, out } = await started(h, { kind: 'sleep' }, { env: ['FROM_CONTAINER=c1'] });
        const a = await execIn(h, id, task, { kind: 'env', name: 'FROM_EXEC' }, { env: ['FROM_EXEC=e1'] });
        const b = await execIn(h, id, task, { kind: 'env', name: 'FROM_CONTAINER' });
        const c = await execIn(h, id, task, { kind: 'exit', code: 6, stdout: 'to out', stderr: 'to err' });
        const [ao, bo, co, ce] = [
          capture(a.io.stdout),
          capture(b.io.stdout),
          capture(c.io.stdout),
          capture(c.io.stderr!),
        ];
        for (const e of [a, b, c]) assert.ok((await e.start()) > 0, 'start answers a pid');
        assert.equal((await a.wait()).exitCode, 0);
        assert.equal((await b.wait()).exitCode, 0);
        assertRecentExit(await c.wait(), 6, 'exec exit');
        assert.equal(await ao.done, 'e1\n');
        assert.equal(await bo.done, 'c1\n');
        assert.equal(await co.done, 'to out');
        assert.equal(await ce.done, 'to err');
        assert.equal(out.text(), '', "nothing on the task's own stdout");
        await Promise.all([a, b, c].map((e) => e.delete()));
        await task.kill(9);
        await task.wait();
        await task.delete();
      });

      it('exec stdin: closeStdin is the end of file', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const e = await execIn(h, id, task, { kind: 'cat' }, { openStdin: true });
        assert.ok(e.io.stdin, 'a stdin with openStdin');
        const out = capture(e.io.stdout);
        await e.start();
        e.io.stdin.write('in\n');
        await out.includes('in\n');
        await e.closeStdin();
        assert.equal((await e.wait()).exitCode, 0);
        assert.equal(await out.done, 'in\n');
        await e.delete();
        await task.kill(9);
        await task.wait();
        await task.delete();
      });

      it('an exec of a missing executable fails; exitCodeFor says 127', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        let proc: ExecProcess | undefined;
        const err = await execIn(h, id, task, { kind: 'missing' }).then(
          (e) => {
            proc = e;
            return e.start().then(
              () => assert.fail('an exec that cannot run was started'),
              (x: unknown) => x,
            );
          },
          (x: unknown) => x,
        );
        assert.ok(err instanceof BerthError, `a BerthError, not ${String(err)}`);
        assert.equal(h.runtime.exitCodeFor(err), 127, err.message);
        await proc?.delete();
        await task.kill(9);
        await task.wait();
        await task.delete();
      });

      it('SIGTERM ends an exec process (143): it is not the init, so the default action applies', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const e = await execIn(h, id, task, { kind: 'sleep' });
        await e.start();
        await e.kill(15);
        assert.equal((await e.wait()).exitCode, 143);
        await rejectsWithKind(e.kill(15), 'not-found', 'kill of an exec that exited');
        await e.delete();
        await e.delete();
        await task.kill(9);
        await task.wait();
        await task.delete();
      });

      it('an exec ID in use is a conflict, and the exec using it is left whole', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const e = await execIn(h, id, task, { kind: 'cat' }, { execId: 'twice', openStdin: true });
        await e.start();
        await rejectsWithKind(
          execIn(h, id, task, { kind: 'sleep' }, { execId: 'twice' }).then((x) => x.start()),
          'conflict',
          'same exec ID',
        );
        // Its stdio still works, also for the next owner.
        const rt = await h.restart();
        const found = await rt.restore(id, { terminal: false, openStdin: false });
        assert.ok(found && 'task' in found);
        const r = await found.task.restoreExec('twice', { terminal: false });
        assert.ok(r && 'proc' in r, `the exec is found again: ${shape(r)}`);
        const out = capture(r.proc.io.stdout);
        r.proc.io.stdin!.write('echo\n');
        await out.includes('echo\n');
        await r.proc.closeStdin();
        assert.equal((await r.proc.wait()).exitCode, 0);
        await r.proc.delete();
        await found.task.kill(9);
        await found.task.wait();
        await found.task.delete();
      });

      it("exec processes end with the task's init (137)", async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const e = await execIn(h, id, task, { kind: 'sleep' });
        const out = capture(e.io.stdout);
        const pid = await e.start();
        await task.kill(9);
        assert.equal((await e.wait()).exitCode, 137);
        await out.done;
        assert.equal(h.alive(pid), false);
        await task.wait();
        await e.delete();
        await task.delete();
      });

      it('exec in a task that exited is a conflict', async (h) => {
        const { id, task } = await started(h, { kind: 'exit', code: 0 });
        await task.wait();
        await rejectsWithKind(
          execIn(h, id, task, { kind: 'sleep' }).then((x) => x.start()),
          'conflict',
          'exec after the exit',
        );
        await task.delete();
      });
    });

    describe('the owner restarts (re-adopt)', () => {
      it('a running task is found again: same pid, its stdio works, its exit is seen', async (h) => {
        const { id, task, out } = await started(h, { kind: 'cat' }, { openStdin: true });
        task.io.stdin!.write('before\n');
        await out.includes('before\n');
        const rt = await h.restart();
        const found = await rt.restore(id, { terminal: false, openStdin: true });
        assert.ok(found && 'task' in found, `restored: ${shape(found)}`);
        assert.equal(found.paused, false);
        assert.equal(found.task.pid, task.pid);
        assert.ok((await rt.listTasks()).includes(id));
        const again = capture(found.task.io.stdout);
        found.task.io.stdin!.write('after\n');
        await again.includes('after\n');
        await found.task.closeStdin();
        assert.equal((await found.task.wait()).exitCode, 0);
        await again.done;
        await found.task.delete();
        await notListed(rt, id);
      });

      it('a paused task is found paused, and resumes', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        await task.pause();
        const rt = await h.restart();
        const found = await rt.restore(id, { terminal: false, openStdin: false });
        assert.ok(found && 'task' in found);
        assert.equal(found.paused, true);
        await found.task.resume();
        await rejectsWithKind(found.task.resume(), 'conflict', 'resume of a running task');
        await found.task.kill(9);
        assert.equal((await found.task.wait()).exitCode, 137);
        await found.task.delete();
      });

      it('a task that exited before the new owner came: its exit code, and it is removed', async (h) => {
        const { id, task } = await started(h, { kind: 'exit', code: 7 });
        await task.wait();
        const rt = await h.restart();
        const found = await rt.restore(id, { terminal: false, openStdin: false });
        assert.ok(found && 'exited' in found, `exited: ${shape(found)}`);
        assertRecentExit(found.exited, 7, 'exit seen after the restart');
        await notListed(rt, id);
        await rt.cleanup(id);
      });

      it('a task created but never started is not restored: it is removed', async (h) => {
        const req = await request(h, { kind: 'sleep' });
        const task = await h.runtime.create(req);
        const rt = await h.restart();
        assert.equal(await rt.restore(req.id, { terminal: false, openStdin: false }), undefined);
        await notListed(rt, req.id);
        assert.equal(h.alive(task.pid), false, 'its init is gone');
      });

      it('a task whose supervisor died while the owner was away: exited, its processes gone', async (h) => {
        const { id, task, out } = await started(h, { kind: 'children' });
        await out.includes('ready\n');
        const pids = await task.pids();
        const rt = await h.restart();
        await h.killSupervisor(id);
        const found = await rt.restore(id, { terminal: false, openStdin: false });
        assert.ok(found && 'exited' in found, `exited: ${shape(found)}`);
        assert.ok([137, 255].includes(found.exited.exitCode), `exit ${found.exited.exitCode}`);
        for (const p of pids) assert.equal(h.alive(p), false, `pid ${p} gone`);
        await notListed(rt, id);
      });

      it('a supervisor that dies under a running owner: wait resolves, the processes are gone', async (h) => {
        const { id, task, out } = await started(h, { kind: 'children' });
        await out.includes('ready\n');
        const pids = await task.pids();
        await h.killSupervisor(id);
        const exit = await task.wait();
        assert.ok([137, 255].includes(exit.exitCode), `exit ${exit.exitCode}`);
        for (const p of pids) assert.equal(h.alive(p), false, `pid ${p} gone`);
        await task.delete();
        await notListed(h.runtime, id);
      });

      it('exec processes are found again: a running one with its output and exit, a finished one by its code', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const running = await execIn(h, id, task, { kind: 'cat' }, { execId: 'running', openStdin: true });
        const before = capture(running.io.stdout);
        await running.start();
        running.io.stdin!.write('x\n');
        await before.includes('x\n');
        const finished = await execIn(h, id, task, { kind: 'exit', code: 5 }, { execId: 'finished' });
        await finished.start();
        await finished.wait();
        const rt = await h.restart();
        const found = await rt.restore(id, { terminal: false, openStdin: false });
        assert.ok(found && 'task' in found);
        const r = await found.task.restoreExec('running', { terminal: false });
        assert.ok(r && 'proc' in r, `running exec: ${shape(r)}`);
        const after = capture(r.proc.io.stdout);
        const f = await found.task.restoreExec('finished', { terminal: false });
        assert.ok(f && 'exited' in f, `finished exec: ${shape(f)}`);
        assertRecentExit(f.exited, 5, 'finished exec');
        assert.equal(await found.task.restoreExec('unknown', { terminal: false }), undefined);
        await r.proc.kill(9);
        assert.equal((await r.proc.wait()).exitCode, 137);
        await after.done;
        await r.proc.delete();
        await r.proc.delete();
        await found.task.kill(9);
        await found.task.wait();
        await found.task.delete();
      });

      it('restore and cleanup of an ID the runtime never saw: undefined, and a no-op', async (h) => {
        const id = newId();
        assert.equal(await h.runtime.restore(id, { terminal: false, openStdin: false }), undefined);
        await h.runtime.cleanup(id);
        await h.runtime.cleanup(id);
        await notListed(h.runtime, id);
      });

      it('cleanup removes a task whatever its state (a live one is killed)', async (h) => {
        const { id, task } = await started(h, { kind: 'sleep' });
        const rt = await h.restart();
        await rt.cleanup(id);
        await notListed(rt, id);
        assert.equal(h.alive(task.pid), false, 'its init is gone');
        assert.equal(await rt.restore(id, { terminal: false, openStdin: false }), undefined);
      });
    });
  });
}
