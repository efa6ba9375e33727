// An in-memory TaskRuntime for service tests that need no root, shims or runc. It passes
// the same conformance suite as the real adapter (task-runtime-conformance.ts), so a
// service tested against it can rely on what it does.
//
// Containers run on a FakeTaskHost (fake-processes.ts): programs are JavaScript functions
// looked up by argv[0]. The host outlives a FakeTaskRuntime as containers outlive berthd:
// `new FakeTaskRuntime(host)` after `close()` is an owner restart, and restore() finds the
// tasks again. killSupervisor() is a shim dying behind the owner's back.
import { PassThrough, Writable, type Readable } from 'node:stream';
import { BerthError, conflict, notFound } from '../../common/errors.ts';
import type { Resources } from '../../api/types/containers.ts';
import { resolveUser } from '../../runtime/user.ts';
import type {
  CgroupSample,
  CreateTaskRequest,
  ExecProcess,
  ExecProcessInput,
  ExecRequest,
  SpecInput,
  Task,
  TaskExit,
  TaskIo,
  TaskRuntime,
} from '../containers/ports.ts';
import { FakeHost, Freezer, HostProcess, SIGKILL, type FakeProgram } from './fake-processes.ts';

/** The fake's OCI-ish process: what create and exec read back. */
interface FakeProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  user: { uid: number; gid: number };
}

/** A start that failed as runc's would: Docker's exit code travels with it. */
export class FakeStartError extends BerthError {
  readonly exitCode: 126 | 127;
  constructor(message: string, exitCode: 126 | 127) {
    super('invalid-argument', message);
    this.exitCode = exitCode;
  }
}

/** One container on the host: its init, its exec processes, its freezer. */
class HostTask {
  readonly id: string;
  readonly spec: { process: FakeProcessSpec };
  readonly init: HostProcess;
  readonly execs = new Map<string, HostProcess>();
  readonly freezer = new Freezer();
  supervisorDead = false;
  readonly oomListeners = new Set<() => void>();
  /** What updateResources last set (the fake has no cgroup to write). */
  resources: Resources = {};
  readonly supervisorGone: Promise<void>;
  killSupervisor!: () => void;

  constructor(host: FakeTaskHost, id: string, spec: { process: FakeProcessSpec }, openStdin: boolean) {
    this.id = id;
    this.spec = spec;
    this.supervisorGone = new Promise((r) => (this.killSupervisor = r));
    this.init = new HostProcess(host, {
      args: spec.process.args,
      env: spec.process.env,
      terminal: spec.process.terminal,
      isInit: true,
      stdin: openStdin,
      freezer: this.freezer,
    });
    // The init's end is the pid namespace's: everything else in the container dies.
    void this.init.exited.then(() => {
      this.freezer.resume();
      for (const p of this.execs.values()) p.end(128 + SIGKILL);
    });
  }

  processes(): HostProcess[] {
    const all = [this.init, ...this.execs.values()];
    return [...all, ...all.flatMap((p) => [...p.children])].filter((p) => p.alive);
  }

  killAll(): void {
    this.freezer.resume();
    for (const p of this.processes()) p.end(128 + SIGKILL);
  }
}

/** The fake machine's containers; programs by argv[0] ('not-executable' for a file that is not). */
export class FakeTaskHost extends FakeHost {
  readonly tasks = new Map<string, HostTask>();
  readonly programs: Map<string, FakeProgram | 'not-executable'>;
  constructor(programs: Record<string, FakeProgram | 'not-executable'>) {
    super();
    this.programs = new Map(Object.entries(programs));
  }

  /** The task's supervisor dies: its owner learns of it as from a dropped shim connection. */
  killSupervisor(id: string): void {
    const t = this.tasks.get(id);
    if (!t) return;
    t.supervisorDead = true;
    t.killSupervisor();
  }

  program(args: string[]): FakeProgram {
    const p = this.programs.get(args[0] ?? '');
    if (p === undefined)
      throw new FakeStartError(`exec: "${args[0]}": stat ${args[0]}: no such file or directory`, 127);
    if (p === 'not-executable') throw new FakeStartError(`exec: "${args[0]}": permission denied`, 126);
    return p;
  }

  /** Removes a task from the host, killing whatever of it still runs. */
  remove(t: HostTask): void {
    t.killAll();
    if (this.tasks.get(t.id) === t) this.tasks.delete(t.id);
  }
}

const gone = (id: string) => notFound(`task ${id} not found`);

export class FakeTaskRuntime implements TaskRuntime {
  private readonly host: FakeTaskHost;
  /** Streams handed to callers; close() drops them as berthd's fds go when it exits. */
  private readonly attached = new Set<() => void>();
  private closed = false;

  constructor(host: FakeTaskHost) {
    this.host = host;
  }

  async buildSpec(i: SpecInput): Promise<unknown> {
    const [passwd, group] = await Promise.all([i.readImageFile('/etc/passwd'), i.readImageFile('/etc/group')]);
    const u = resolveUser(i.user, passwd?.toString(), group?.toString());
    const process: FakeProcessSpec = {
      args: i.args,
      env: i.env,
      cwd: i.cwd || '/',
      terminal: i.terminal,
      user: { uid: u.uid, gid: u.gid },
    };
    return { process, hostname: i.hostname, root: { path: 'rootfs', readonly: i.readonlyRootfs } };
  }

  async buildExecProcess(i: ExecProcessInput): Promise<unknown> {
    const t = this.host.tasks.get(i.containerId);
    if (!t) throw gone(i.containerId);
    const base = t.spec.process;
    let user = base.user;
    if (i.user) {
      const [passwd, group] = await Promise.all([i.readImageFile('/etc/passwd'), i.readImageFile('/etc/group')]);
      const u = resolveUser(i.user, passwd?.toString(), group?.toString());
      user = { uid: u.uid, gid: u.gid };
    }
    const process: FakeProcessSpec = {
      args: i.args,
      env: [...base.env, ...i.env],
      cwd: i.cwd || base.cwd,
      terminal: i.terminal,
      user,
    };
    return process;
  }

  async create(req: CreateTaskRequest): Promise<Task> {
    if (this.host.tasks.has(req.id)) throw conflict(`task ${req.id} already exists`);
    const spec = req.spec as { process: FakeProcessSpec };
    this.host.program(spec.process.args); // runc looks the executable up at create
    const t = new HostTask(this.host, req.id, { process: { ...spec.process, terminal: req.terminal } }, req.openStdin);
    this.host.tasks.set(req.id, t);
    return this.wrap(t);
  }

  async restore(
    id: string,
    _opts: { terminal: boolean; openStdin: boolean },
  ): Promise<{ task: Task; paused: boolean } | { exited: TaskExit } | undefined> {
    const t = this.host.tasks.get(id);
    if (!t) return undefined;
    if (t.supervisorDead || !t.init.alive) {
      this.host.remove(t);
      return { exited: await t.init.exited };
    }
    if (t.init.state === 'created') {
      // Never started: not a task anyone could be waiting for.
      this.host.remove(t);
      return undefined;
    }
    return { task: this.wrap(t), paused: t.freezer.frozen };
  }

  async cleanup(id: string): Promise<void> {
    const t = this.host.tasks.get(id);
    if (t) this.host.remove(t);
  }

  async listTasks(): Promise<string[]> {
    return [...this.host.tasks.keys()];
  }

  /** The fake host has no userns-remap: every task runs in the host's user namespace. */
  async prepareUserns(): Promise<undefined> {
    return undefined;
  }

  async cgroupStats(id: string): Promise<CgroupSample | undefined> {
    const t = this.host.tasks.get(id);
    if (!t) return undefined;
    const n = t.processes().length;
    return {
      cpu: { total: 0, user: 0, system: 0, percpu: [0], periods: 0, throttledPeriods: 0, throttledTime: 0 },
      memory: { usage: n * 4096, maxUsage: n * 4096, limit: 0, stats: {} },
      pids: { current: n, limit: 0 },
      blkio: { serviceBytes: [], serviced: [] },
    };
  }

  exitCodeFor(err: unknown): number {
    for (let e = err, i = 0; e && i < 5; i++, e = (e as { cause?: unknown }).cause)
      if (e instanceof FakeStartError) return e.exitCode;
    return 125;
  }

  /** Drops this owner's streams; the tasks keep running on the host. */
  async close(): Promise<void> {
    this.closed = true;
    for (const detach of this.attached) detach();
    this.attached.clear();
  }

  // ---- the owner's side of a process's FIFOs ----

  private outputOf(fifo: PassThrough): Readable {
    const mine = new PassThrough();
    if (fifo.readableEnded) mine.end();
    else fifo.pipe(mine);
    this.attached.add(() => {
      fifo.unpipe(mine);
      mine.destroy();
    });
    return mine;
  }

  /** Our write end of the stdin FIFO: ending it is not the process's EOF (closeStdin is). */
  private stdinOf(fifo: PassThrough | null): Writable | null {
    if (!fifo) return null;
    const mine = new Writable({
      write(chunk, _enc, cb) {
        if (!fifo.writableEnded) fifo.write(chunk);
        cb();
      },
    });
    this.attached.add(() => mine.destroy());
    return mine;
  }

  private ioOf(p: HostProcess): TaskIo {
    return {
      stdout: this.outputOf(p.stdout),
      stderr: p.terminal ? null : this.outputOf(p.stderr),
      stdin: this.stdinOf(p.stdin),
    };
  }

  private live(t: HostTask): HostTask {
    if (this.host.tasks.get(t.id) !== t) throw gone(t.id);
    return t;
  }

  private wrap(t: HostTask): Task {
    const rt = this;
    const host = this.host;
    let waited: Promise<TaskExit> | undefined;
    let deleted: Promise<void> | undefined;
    return {
      pid: t.init.pid,
      io: this.ioOf(t.init),
      async start() {
        rt.live(t);
        if (t.init.state !== 'created') throw conflict(`task ${t.id} was already started`);
        t.init.run(host.program(t.init.args));
        return t.init.pid;
      },
      async kill(sig, all) {
        rt.live(t);
        if (!t.init.alive) throw notFound(`task ${t.id}: process already finished`);
        for (const p of all ? t.processes() : [t.init]) p.signal(sig);
      },
      wait() {
        if (rt.closed) return new Promise<TaskExit>(() => {});
        // A supervisor that dies takes the task down: the owner cleans up what is left.
        return (waited ??= Promise.race([
          t.init.exited,
          t.supervisorGone.then(() => {
            host.remove(t);
            return t.init.exited;
          }),
        ]));
      },
      async closeStdin() {
        rt.live(t);
        t.init.stdin?.end();
      },
      // The fake host has no memory to run out of: listeners are kept, never called.
      onOom: (listener) => void t.oomListeners.add(listener),
      async updateResources(r) {
        rt.live(t);
        if (!t.init.alive) throw conflict(`cannot update container ${t.id}: it is stopped`);
        t.resources = { ...t.resources, ...r };
      },
      delete() {
        return (deleted ??= (async () => {
          if (host.tasks.get(t.id) === t) host.remove(t);
        })());
      },
      async resize(width, height) {
        rt.live(t);
        t.init.size = { rows: height, cols: width };
      },
      async pause() {
        rt.live(t);
        if (t.init.state !== 'running') throw conflict(`cannot pause task ${t.id}: it is not running`);
        if (t.freezer.frozen) throw conflict(`task ${t.id} is already paused`);
        t.freezer.freeze();
      },
      async resume() {
        rt.live(t);
        if (!t.freezer.frozen) throw conflict(`cannot resume task ${t.id}: it is not paused`);
        t.freezer.resume();
      },
      async pids() {
        rt.live(t);
        return t.init.alive ? t.processes().map((p) => p.pid) : [];
      },
      async exec(req: ExecRequest) {
        rt.live(t);
        if (!t.init.alive) throw conflict(`cannot exec in task ${t.id}: it is stopped`);
        if (t.freezer.frozen) throw conflict(`cannot exec in task ${t.id}: it is paused`);
        if (t.execs.has(req.execId)) throw conflict(`exec ${req.execId} already exists`);
        const spec = req.process as FakeProcessSpec;
        const p = new HostProcess(host, {
          args: spec.args,
          env: spec.env,
          terminal: req.terminal,
          isInit: false,
          stdin: req.openStdin,
          freezer: t.freezer,
        });
        t.execs.set(req.execId, p);
        return rt.wrapExec(t, req.execId, p);
      },
      async restoreExec(execId) {
        rt.live(t);
        const p = t.execs.get(execId);
        if (!p) return undefined;
        if (p.alive) return { proc: rt.wrapExec(t, execId, p) };
        t.execs.delete(execId);
        return { exited: await p.exited };
      },
    };
  }

  private wrapExec(t: HostTask, execId: string, p: HostProcess): ExecProcess {
    const host = this.host;
    const mine = () => {
      this.live(t);
      if (t.execs.get(execId) !== p) throw notFound(`exec ${execId} not found`);
    };
    return {
      io: this.ioOf(p),
      async start() {
        mine();
        if (p.state !== 'created') throw conflict(`exec ${execId} was already started`);
        let program: FakeProgram;
        try {
          program = host.program(p.args);
        } catch (err) {
          p.end(err instanceof FakeStartError ? err.exitCode : 125);
          throw err;
        }
        p.run(program);
        return p.pid;
      },
      wait: () => p.exited,
      async kill(sig) {
        mine();
        if (!p.alive) throw notFound(`exec ${execId}: process already finished`);
        p.signal(sig);
      },
      async resize(width, height) {
        mine();
        p.size = { rows: height, cols: width };
      },
      async closeStdin() {
        mine();
        p.stdin?.end();
      },
      async delete() {
        if (t.execs.get(execId) !== p) return;
        p.end(128 + SIGKILL);
        t.execs.delete(execId);
      },
      close() {
        /* the streams go with the owner's close() */
      },
    };
  }
}
