// Tasks: one running container = one shim + one runc container, driven through the Task API.
//
// Lifecycle of a TaskHandle: createTask() (config.json written, shim started, Create sent,
// stdio attached) → start() → wait()/kill()/state()/exec() … → delete() (task Delete, shim
// Shutdown, shim files removed from the bundle). close() only drops berthd's side (the
// connection and FIFO fds) and leaves the container running; restore() finds it again
// after a berthd restart. A shim that dies under us is noticed through onShimExit(); then
// cleanupDead() reports the exit (always 137 from 1.6 shims, 255 when even that fails).
import { constants as osConstants } from 'node:os';
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { BerthError, errnoCode, isKind, messageOf } from '../common/errors.ts';
import type { ErrorKind } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { LinuxResources, Process, Spec } from '../oci/runtime-spec.ts';
import { mountsUnder, unmountRecursive } from '../sys/mountinfo.ts';
import { cleanupDeadShim, connectShim, removeStaleSocket, shutdownShim, startShim } from './shim.ts';
import type { Shim, ShimConfig } from './shim.ts';
import { createTaskIO, removeFifos, reopenTaskIO } from './stdio.ts';
import type { StdioPaths, TaskIO, TaskIOOptions } from './stdio.ts';
import { linuxResourcesAny, runcOptionsAny } from './task-api.ts';
import type { ShimPool } from './shim-pool.ts';
import { createInFlight } from './inflight-create.ts';
import type { DeleteResult, RuncOptions, TaskState } from './task-api.ts';
import type { Mount } from '../oci/runtime-spec.ts';

export interface RuntimeConfig {
  shim: ShimConfig;
  /** Absolute path of runc. */
  runcBinary: string;
  /** runc --root (the shim appends the namespace), e.g. /run/berth/runc. */
  runcRoot: string;
  /** Extra runc options (systemdCgroup, noPivotRoot …). */
  runcOptions?: Omit<RuncOptions, 'binaryName' | 'root'>;
  pipeSize?: number;
  log: Logger;
  /** Pre-started shims; createTask falls back to starting one when it is empty. */
  pool?: ShimPool;
}

export interface CreateTaskRequest {
  id: string;
  /** Directory whose basename is `id`; the shim works in it. */
  bundleDir: string;
  spec: Spec;
  rootfs: Mount[];
  /**
   * Mounts the root filesystem at the given <bundle>/rootfs itself, for mounts the shim's
   * mount(2) cannot take (an overlay option string over a page); `rootfs` is then empty.
   * The mount goes with the bundle (removeShimFiles unmounts what the shim did not).
   */
  mountRootfs?: (dir: string) => void;
  stdio: StdioPaths;
  terminal?: boolean;
  signal?: AbortSignal;
  /** The OCI runtime binary for this task (default: the configured runc). */
  runtimeBinary?: string;
  /** Output goes through spool files in the bundle; a consumer commits what it stored (spool.ts). */
  durableOutput?: boolean;
}

export interface ExitStatus {
  exitCode: number;
  exitedAt: Date;
}

// ---- start errors -----------------------------------------------------------------------

/** Docker's exit codes for a container that could not be started. */
export type StartExitCode = 125 | 126 | 127;

/**
 * Classifies an OCI runtime error message the way dockerd does: command not found → 127,
 * found but not executable → 126, anything else → 125.
 */
export function classifyStartError(message: string): StartExitCode {
  const m = message.toLowerCase();
  if (
    m.includes('executable file not found') ||
    m.includes('no such file or directory') ||
    m.includes('not found in $path')
  )
    return 127;
  if (
    m.includes('permission denied') ||
    m.includes('exec format error') ||
    m.includes('is a directory') ||
    m.includes('not executable')
  )
    return 126;
  return 125;
}

export class TaskStartError extends BerthError {
  readonly exitCode: StartExitCode;
  constructor(message: string, cause?: unknown) {
    const code = classifyStartError(message);
    const kind: ErrorKind = code === 125 ? 'internal' : 'invalid-argument';
    super(kind, message, { cause });
    this.exitCode = code;
    this.name = 'TaskStartError';
  }
}

// ---- helpers ----------------------------------------------------------------------------

export function signalNumber(sig: number | string): number {
  if (typeof sig === 'number') return sig;
  const name = (sig.startsWith('SIG') ? sig : `SIG${sig}`).toUpperCase() as keyof typeof osConstants.signals;
  const n = osConstants.signals[name];
  if (n === undefined) {
    if (/^[0-9]+$/.test(sig)) return Number(sig);
    throw new BerthError('invalid-argument', `invalid signal: ${sig}`);
  }
  return n;
}

/** Files the shim and runc leave in a bundle, plus the config.json createTask wrote. */
const SHIM_FILES = [
  'config.json',
  'address',
  'log',
  'log.json',
  'options.json',
  'runtime',
  'init.pid',
  '.address',
  // spool.ts: the output spools and their commit record
  'log.cursor',
  'stdout.spool',
  'stderr.spool',
];

async function removeShimFiles(bundle: string, stdio?: StdioPaths): Promise<void> {
  const rootfs = join(bundle, 'rootfs');
  // The shim unmounts the rootfs on Delete; only a busy rmdir needs the mount table.
  await fsp.rmdir(rootfs).catch(async (err) => {
    if (errnoCode(err) === 'ENOENT') return;
    if (mountsUnder(rootfs).length === 0) throw err;
    unmountRecursive(rootfs);
    await fsp.rmdir(rootfs);
  });
  // FIFOs are ours only when they live in the bundle; without their paths (a dead shim's
  // cleanup), the init process's default names are removed.
  const paths = stdio
    ? [stdio.stdin, stdio.stdout, stdio.stderr]
    : ['stdin', 'stdout', 'stderr'].map((n) => join(bundle, n));
  const fifos = paths.filter((p): p is string => !!p && p.startsWith(bundle + '/'));
  await Promise.all([
    fsp.rm(join(bundle, 'work'), { recursive: true, force: true }),
    ...SHIM_FILES.map((f) => fsp.rm(join(bundle, f), { force: true })),
    ...fifos.map((p) => fsp.rm(p, { force: true })),
  ]);
}

// ---- exec processes ---------------------------------------------------------------------

export class ExecHandle {
  readonly task: TaskHandle;
  readonly execId: string;
  readonly io: TaskIO;
  constructor(task: TaskHandle, execId: string, io: TaskIO) {
    this.task = task;
    this.execId = execId;
    this.io = io;
  }

  /** Starts the process; the shim opens its stdio FIFOs only now (unlike Create for init). */
  async start(): Promise<number> {
    let pid: number;
    try {
      pid = await this.task.shim.task.start(this.task.id, this.execId);
    } catch (err) {
      throw new TaskStartError(messageOf(err), err);
    }
    this.io.attach();
    return pid;
  }

  async wait(): Promise<ExitStatus> {
    const r = await this.task.shim.task.wait(this.task.id, this.execId);
    return { exitCode: r.exitStatus, exitedAt: r.exitedAt ?? new Date() };
  }

  kill(signal: number | string): Promise<void> {
    return this.task.shim.task.kill(this.task.id, this.execId, signalNumber(signal));
  }

  resize(width: number, height: number): Promise<void> {
    return this.task.shim.task.resizePty(this.task.id, this.execId, width, height);
  }

  /** Ends the process's stdin (the shim holds the FIFO open until told). */
  async closeStdin(): Promise<void> {
    this.io.stdin?.end();
    await this.task.shim.task.closeIO(this.task.id, this.execId, true);
  }

  async delete(): Promise<DeleteResult> {
    try {
      return await this.task.shim.task.delete(this.task.id, this.execId);
    } finally {
      this.io.close();
      await removeFifos(this.io.paths);
    }
  }

  /** Drops berthd's fds; the process keeps running under the shim. */
  close(): void {
    this.io.close();
  }
}

// ---- tasks ------------------------------------------------------------------------------

export class TaskHandle {
  readonly id: string;
  readonly bundle: string;
  readonly shim: Shim;
  /** The container's init pid as seen from the host. */
  readonly pid: number;
  /** Our side of the init process's stdio; undefined when restored without FIFOs. */
  readonly io: TaskIO | undefined;
  private readonly runtime: Runtime;
  private readonly stdio: StdioPaths | undefined;

  constructor(runtime: Runtime, shim: Shim, pid: number, io: TaskIO | undefined, stdio: StdioPaths | undefined) {
    this.runtime = runtime;
    this.id = shim.id;
    this.bundle = shim.bundle;
    this.shim = shim;
    this.pid = pid;
    this.io = io;
    this.stdio = stdio;
  }

  async start(): Promise<number> {
    try {
      return await this.shim.task.start(this.id);
    } catch (err) {
      throw new TaskStartError(messageOf(err), err);
    }
  }

  kill(signal: number | string = 'SIGTERM', all = false): Promise<void> {
    return this.shim.task.kill(this.id, '', signalNumber(signal), all);
  }

  /** Resolves when the init process exited (at once if it already has). */
  async wait(opts: { signal?: AbortSignal } = {}): Promise<ExitStatus> {
    const r = await this.shim.task.wait(this.id, '', { signal: opts.signal, timeoutMs: 0 });
    return { exitCode: r.exitStatus, exitedAt: r.exitedAt ?? new Date() };
  }

  state(): Promise<TaskState> {
    return this.shim.task.state(this.id);
  }

  pause(): Promise<void> {
    return this.shim.task.pause(this.id);
  }

  /** Changes the running task's cgroup limits (the shim runs `runc update`). */
  async update(resources: LinuxResources): Promise<void> {
    await this.shim.task.update(this.id, linuxResourcesAny(resources));
  }

  resume(): Promise<void> {
    return this.shim.task.resume(this.id);
  }

  resize(width: number, height: number): Promise<void> {
    return this.shim.task.resizePty(this.id, '', width, height);
  }

  async closeStdin(): Promise<void> {
    this.io?.stdin?.end();
    await this.shim.task.closeIO(this.id, '', true);
  }

  /** Runs the shim's `onClose` hook: the connection dropped (the shim died or close() was called). */
  onShimExit(cb: () => void): void {
    this.shim.closed.then(cb, cb);
  }

  /**
   * Adds a process to the running container (docker exec). Call start() on the result;
   * output flows from then on.
   */
  async exec(execId: string, spec: Process, stdio: StdioPaths, opts: TaskIOOptions = {}): Promise<ExecHandle> {
    const io = await createTaskIO(stdio, {
      pipeSize: this.runtime.config.pipeSize,
      ...opts,
      terminal: spec.terminal ?? false,
    });
    try {
      await this.shim.task.exec({
        id: this.id,
        execId,
        terminal: spec.terminal ?? false,
        stdin: stdio.stdin,
        stdout: stdio.stdout,
        stderr: stdio.stderr,
        spec,
      });
    } catch (err) {
      io.close();
      await removeFifos(stdio);
      throw err;
    }
    return new ExecHandle(this, execId, io);
  }

  /** Host pids of the container's processes. */
  async pids(): Promise<number[]> {
    return (await this.shim.task.pids(this.id)).map((p) => p.pid);
  }

  /**
   * Finds an exec process after a berthd restart: a running one comes back with its FIFOs
   * reopened (drain them or it blocks once the pipe fills); a finished one is deleted from
   * the shim and its exit returned; undefined when the shim does not know it.
   */
  async restoreExec(execId: string): Promise<{ handle: ExecHandle } | { exit: ExitStatus } | undefined> {
    let st: TaskState;
    try {
      st = await this.shim.task.state(this.id, execId);
    } catch (err) {
      if (isKind(err, 'not-found')) return undefined;
      throw err;
    }
    const paths: StdioPaths = { stdout: st.stdout, stderr: st.stderr, ...(st.stdin ? { stdin: st.stdin } : {}) };
    if (st.status === 'running' || st.status === 'paused' || st.status === 'pausing') {
      const io = await reopenTaskIO(paths, { terminal: st.terminal });
      return { handle: new ExecHandle(this, execId, io) };
    }
    await this.shim.task.delete(this.id, execId).catch(() => {});
    await removeFifos(paths).catch(() => {});
    return st.status === 'stopped'
      ? { exit: { exitCode: st.exitStatus, exitedAt: st.exitedAt ?? new Date() } }
      : undefined;
  }

  /**
   * Deletes the stopped task, shuts its shim down and removes the shim's files from the
   * bundle. Returns the task's final exit.
   */
  async delete(opts: { removeFiles?: boolean } = {}): Promise<DeleteResult> {
    const res = await this.shim.task.delete(this.id);
    await shutdownShim(this.shim).catch((err) =>
      this.runtime.config.log.warn('shim shutdown', { id: this.id, error: messageOf(err) }),
    );
    this.io?.close();
    // A caller that removes the whole bundle next skips the file-by-file removal.
    if (opts.removeFiles !== false) await removeShimFiles(this.bundle, this.stdio);
    this.runtime.config.pool?.fill();
    return res;
  }

  /** Drops berthd's connection and fds; the container and shim keep running. */
  close(): void {
    this.io?.close();
    this.shim.close();
  }
}

/** How long start-up waits for a Create berthd did not live to see finish (runc's own takes seconds). */
const CREATE_SETTLE_MS = 30_000;

export type RestoreResult =
  | { status: 'alive'; handle: TaskHandle; state: TaskState }
  /** The shim was gone (or held no task): cleaned up; exit as reported by the shim's delete, 255 if unknown. */
  | { status: 'dead'; exitCode: number; exitedAt: Date; pid: number };

export class Runtime {
  readonly config: RuntimeConfig;
  constructor(config: RuntimeConfig) {
    this.config = config;
  }

  /** Writes config.json, starts the shim, creates the runc container (not started). */
  async createTask(req: CreateTaskRequest): Promise<TaskHandle> {
    const { id, bundleDir } = req;
    if (basename(bundleDir) !== id)
      throw new BerthError('invalid-argument', `bundle ${bundleDir} must be named after task ${id}`);
    // A pooled shim arrives by renaming its directory to the bundle, so it goes first.
    let shim: Shim | undefined = await this.config.pool?.take(bundleDir, id);
    if (!shim) await fsp.mkdir(bundleDir, { recursive: true, mode: 0o700 });
    // Ephemeral: read by runc at Create, never needed after a crash, so no fsync.
    await fsp.writeFile(join(bundleDir, 'config.json'), JSON.stringify(req.spec), { mode: 0o600 });
    let io: TaskIO;
    try {
      io = await createTaskIO(req.stdio, {
        pipeSize: this.config.pipeSize,
        terminal: req.terminal,
        spool: { dir: bundleDir, durable: req.durableOutput ?? false },
      });
    } catch (err) {
      if (shim) await shutdownShim(shim, 5_000).catch(() => shim?.close());
      throw err;
    }
    try {
      if (req.mountRootfs) {
        const dir = join(bundleDir, 'rootfs');
        await fsp.mkdir(dir, { mode: 0o711 }).catch((err) => {
          if (errnoCode(err) !== 'EEXIST') throw err;
        });
        req.mountRootfs(dir);
      }
      shim ??= await startShim(this.config.shim, { id, bundle: bundleDir, signal: req.signal });
      let pid: number;
      try {
        pid = await shim.task.create(
          {
            id,
            bundle: bundleDir,
            rootfs: req.rootfs,
            terminal: req.terminal ?? false,
            stdin: req.stdio.stdin,
            stdout: req.stdio.stdout,
            stderr: req.stdio.stderr,
            options: runcOptionsAny({
              ...this.config.runcOptions,
              binaryName: req.runtimeBinary ?? this.config.runcBinary,
              root: this.config.runcRoot,
            }),
          },
          { signal: req.signal },
        );
      } catch (err) {
        throw isKind(err, 'unavailable') ? err : new TaskStartError(messageOf(err), err);
      }
      io.attach();
      // Refill once this start is past its critical section: a shim launch competes for
      // the CPU with runc start and the container's first moments.
      setTimeout(() => this.config.pool?.fill(), 250).unref();
      return new TaskHandle(this, shim, pid, io, req.stdio);
    } catch (err) {
      this.config.pool?.fill();
      io.close();
      if (shim) await shutdownShim(shim, 5_000).catch(() => shim?.close());
      await removeShimFiles(bundleDir, req.stdio).catch(() => {});
      throw err;
    }
  }

  /**
   * Finds the task of a bundle after a berthd restart. With a live shim the handle comes
   * back with its stdio reopened (consume io.stdout/io.stderr or the container blocks once
   * the pipe is full); otherwise the remains are cleaned and the exit reported.
   */
  async restore(id: string, bundleDir: string, opts: { durableOutput?: boolean } = {}): Promise<RestoreResult> {
    let shim: Shim;
    try {
      shim = await connectShim(this.config.shim, bundleDir, id);
    } catch {
      return this.cleanupDead(id, bundleDir);
    }
    let state: TaskState;
    try {
      state = await this.stateAfterCreate(shim, id);
    } catch (err) {
      if (!isKind(err, 'not-found')) {
        shim.close();
        throw err;
      }
      // shim started but no task created (berthd died in between): stop it. A Create whose
      // connection died with berthd was cancelled inside the shim, which kills the runtime's
      // create midway and can leave a runc container `created` that no shim knows: the shim
      // binary's delete action (runc delete --force) removes it.
      await shutdownShim(shim, 5_000).catch(() => shim.close());
      await cleanupDeadShim(this.config.shim, bundleDir, id).catch(() => {});
      await removeShimFiles(bundleDir).catch(() => {});
      return { status: 'dead', exitCode: 255, exitedAt: new Date(), pid: 0 };
    }
    let io: TaskIO | undefined;
    const stdio: StdioPaths | undefined = state.stdout
      ? { stdout: state.stdout, stderr: state.stderr, ...(state.stdin ? { stdin: state.stdin } : {}) }
      : undefined;
    if (stdio && state.status !== 'stopped') {
      io = await reopenTaskIO(stdio, {
        terminal: state.terminal,
        spool: { dir: bundleDir, durable: opts.durableOutput ?? false },
      }).catch((err) => {
        this.config.log.warn('reopen stdio', { id, error: messageOf(err) });
        return undefined;
      });
    }
    return { status: 'alive', handle: new TaskHandle(this, shim, state.pid, io, stdio), state };
  }

  /**
   * The task's state. A shim that has none yet may still be running the runtime's create
   * for the Create berthd died waiting for: while that runs, ask again, so the task it
   * makes is found and not orphaned.
   */
  private async stateAfterCreate(shim: Shim, id: string): Promise<TaskState> {
    const deadline = performance.now() + CREATE_SETTLE_MS;
    for (;;) {
      try {
        return await shim.task.state(id);
      } catch (err) {
        if (!isKind(err, 'not-found') || !createInFlight(id) || performance.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** After the shim died: `shim delete` (kills what is left), then removes the shim's files. */
  async cleanupDead(id: string, bundleDir: string): Promise<RestoreResult & { status: 'dead' }> {
    let res: DeleteResult | undefined;
    try {
      res = await cleanupDeadShim(this.config.shim, bundleDir, id);
    } catch (err) {
      this.config.log.warn('shim delete failed', { id, error: messageOf(err) });
      await removeStaleSocket(bundleDir).catch(() => {});
    }
    await removeShimFiles(bundleDir).catch((err) =>
      this.config.log.warn('remove shim files', { id, error: messageOf(err) }),
    );
    return {
      status: 'dead',
      exitCode: res ? res.exitStatus : 255,
      exitedAt: res?.exitedAt ?? new Date(),
      pid: res?.pid ?? 0,
    };
  }
}
