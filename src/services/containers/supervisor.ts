// The container supervisor: the one owner of a container's task, from launch to teardown.
//
// Lifecycle of a run:
//   launch (a new task) | adopt (a task an earlier berthd left running, at start-up)
//     → running ⇄ paused (pause/resume; a signal thaws)
//     → the task exits → exit handling: output drained (bounded), exit recorded, waiters
//       and attached clients told, task deleted, network released
//     → the restart policy (Docker's backoff, kept in the container's Live) or auto-removal.
//   remove takes a container off the books (killing its task first when forced).
//
// The verbs (start, stop, kill, restart, pause, rm, restore) decide whether to act and
// answer the client; this decides how, and imports none of them. Methods that say so run
// under the container's lock (held by the caller); exit handling runs without it, and
// whoever acts next awaits it (`settled`). Every status change goes through
// containers/state-machine.ts.
import { BerthError, conflict, kindOf, messageOf } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { setLongTimeout } from '../../common/timers.ts';
import type { KeyedMutex } from '../../common/mutex.ts';
import type { Background } from '../../common/background.ts';
import type { Container, ContainerStore } from '../../containers/store.ts';
import { assertTransition, isRunning, recordFields, transition } from '../../containers/state-machine.ts';
import type { EventBus } from '../../events/bus.ts';
import type { ImageStore } from '../../images/store.ts';
import type { LayerPort, Task, TaskExit, TaskRuntime } from './ports.ts';
import { donorUserns } from './namespaces.ts';
import { checkSameRemap } from './userns.ts';
import type { Live, LiveRegistry } from './live.ts';
import type { ContainerNetworking } from './network-port.ts';
import type { ExecRegistry } from './exec-registry.ts';
import type { EngineSettings } from './settings.ts';
import type { AttachedMounts, ContainerVolumes } from './volume-port.ts';
import { logsDurably, openLogSink, type LogSink } from './log-sink.ts';
import { connectOutput, type OutputRun } from './task-output.ts';
import { specInputOf } from './task-spec.ts';
import { lowersOf } from './rootfs.ts';
import { nextRestartDelay, shouldRestart } from './restart-policy.ts';
import { clearExecFiles, restoreExecs } from './exec-process.ts';

/** How long an exit waits for the task's output to drain: a grandchild may hold the FIFOs open. */
const OUTPUT_DRAIN_MS = 2000;
const SIGKILL = 9;

/**
 * Health probes of a running task (HEALTHCHECK). The supervisor starts them whenever a
 * task begins to run (launch, adopt of a running task, resume) and stops them whenever it
 * stops running (pause, exit, removal). Per-container probe state belongs in its Live.
 */
export interface TaskProbes {
  start(c: Container, task: Task): void;
  stop(id: string): void;
}

/** No health probes (tests that do not exercise HEALTHCHECK). */
export const noProbes: TaskProbes = { start: () => {}, stop: () => {} };

export interface SupervisorDeps {
  readonly store: ContainerStore;
  readonly images: ImageStore;
  readonly layers: LayerPort;
  readonly runtime: TaskRuntime;
  readonly events: EventBus;
  readonly live: LiveRegistry;
  readonly execs: ExecRegistry;
  readonly locks: KeyedMutex;
  /** Bridge networking; absent: every non-host container gets a loopback-only netns. */
  readonly network?: ContainerNetworking;
  /** Volumes, binds and tmpfs: attached at launch, detached at exit, forgotten at removal. */
  readonly volumes: ContainerVolumes;
  /** Auto-removals finishing after the exit that caused them (shutdown waits for them). */
  readonly background: Background;
  readonly settings: EngineSettings;
  /** The daemon's own context: its log, and a signal that aborts at shutdown. */
  readonly ctx: OpContext;
  readonly probes?: TaskProbes;
}

export interface RemoveOptions {
  /** Kill a running task first (else: conflict). */
  force?: boolean;
  /** Remove the container's anonymous volumes too (`rm -v`, `--rm`). */
  volumes?: boolean;
  /**
   * Return once the container is off the books (record, name, ID) and finish the task's
   * teardown and the file deletion in the background, tracked — auto-removal uses this
   * so `run --rm` does not wait for them.
   */
  background?: boolean;
}

/** Where recover() leaves a container found at start-up. */
export type Recovery = 'restart' | 'remove' | 'none';

const runningMessage = (name: string) =>
  `cannot remove container "/${name}": container is running: stop the container before removing or force remove`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class Supervisor {
  private readonly d: SupervisorDeps;
  private readonly probes: TaskProbes;

  constructor(deps: SupervisorDeps) {
    this.d = deps;
    this.probes = deps.probes ?? noProbes;
  }

  /** The running (or frozen) task, if any. */
  taskOf(c: Container): Task | undefined {
    return this.d.live.peek(c.record.id)?.task;
  }

  /** The exit handling (teardown included) of the last run while it is in progress. */
  settling(c: Container): Promise<void> | undefined {
    return this.d.live.peek(c.record.id)?.exitHandled;
  }

  /** Resolves when the last run's exit handling (its teardown included) is complete. */
  async settled(c: Container): Promise<void> {
    await this.settling(c);
  }

  /**
   * Creates and starts a task; the caller holds the container's lock and checked that it
   * may start. A manual start (`manual`) resets the restart backoff, as Docker's does.
   * Until the task is created `ctx.signal` cancels it, undoing everything; after that the
   * start completes. A failure is recorded (exit code and error) and thrown. `netns`: a
   * network namespace the caller made and wires itself (a CRI pod's pinned one), joined
   * instead of the one the NetworkMode would get.
   */
  async launch(ctx: OpContext, c: Container, opts: { manual: boolean; netns?: string }): Promise<void> {
    const d = this.d;
    const id = c.record.id;
    const live = d.live.get(id);
    if (live.restartTimer) {
      clearTimeout(live.restartTimer);
      live.restartTimer = undefined;
    }
    if (opts.manual) live.restartDelayMs = 0;
    // A previous run's exit may still be being recorded: its task must be gone first.
    if (live.exitHandled) await live.exitHandled;
    // Refused before anything runs: a task must never start under a record that cannot say so.
    assertTransition(c, 'running');
    checkSameRemap(d.settings, c.record);
    const lowers = lowersOf(d, c);
    const cfg = c.record.config;
    let task: Task | undefined;
    // The driver opens first: a log server that is down fails the start as with dockerd.
    const log = await openLogSink(d.settings, d.ctx.log, c).catch((err) => {
      throw new BerthError(
        kindOf(err) === 'invalid-argument' ? 'invalid-argument' : 'internal',
        `failed to initialize logging driver: ${messageOf(err)}`,
        { cause: err },
      );
    });
    // The namespace is prepared (veths, addresses, rules, /etc files) while the spec is built.
    let net: ReturnType<ContainerNetworking['prepare']> | undefined;
    let vols: AttachedMounts | undefined;
    let userns: Awaited<ReturnType<TaskRuntime['prepareUserns']>>;
    try {
      userns = await d.runtime.prepareUserns(id, c.record.hostConfig, donorUserns(d, c.record.hostConfig));
      net = opts.netns
        ? { network: { path: opts.netns }, ready: Promise.resolve() }
        : d.network?.prepare(c, userns ? { netnsFrom: userns.netns } : {});
      vols = await d.volumes.attach(c);
      const [spec] = await Promise.all([d.runtime.buildSpec(specInputOf(d, c, lowers, net, vols)), net?.ready]);
      // The last point where a client that hung up cancels the start: nothing runs yet.
      ctx.signal.throwIfAborted();
      task = await d.runtime.create({
        id,
        spec,
        rootfs: d.layers.rootfsMounts(lowers, d.store.dir(id), false),
        terminal: Boolean(cfg.Tty),
        openStdin: Boolean(cfg.OpenStdin),
        durableOutput: Boolean(log?.bind),
      });
      userns?.done();
      vols.created();
      await this.connect(c, live, task, log, { start: true, paused: false });
    } catch (err) {
      userns?.done();
      await log?.close().catch(() => {});
      if (task) await task.delete().catch(() => {});
      await vols?.release().catch(() => {});
      if (net)
        await net.ready
          .catch(() => {})
          .then(() => d.network?.release(id))
          .catch(() => {});
      live.io.resetStdin();
      if (ctx.signal.aborted) throw err; // cancelled, not failed: nothing to record
      recordFields(c, { ExitCode: d.runtime.exitCodeFor(err), Error: messageOf(err) });
      await d.store.saveState(c).catch(() => {});
      const kind = err instanceof BerthError ? err.kind : 'internal';
      if (kind === 'not-found' || kind === 'conflict') throw err;
      throw new BerthError(kind, `failed to create task for container: ${messageOf(err)}`, { cause: err });
    }
    // Not awaited: the shim is the truth about a running task (start-up reconciliation
    // adopts a live task whatever the record says), so the fsync stays off the start path.
    void d.store.saveState(c).catch((err) => d.ctx.log.error('saving container state failed', { container: id, err }));
    d.events.publish('container', 'start', id);
  }

  /**
   * A restart by the policy (a backoff timer, or start-up for `always`/`unless-stopped`);
   * the caller holds the container's lock.
   */
  async restartByPolicy(ctx: OpContext, c: Container): Promise<void> {
    c.runtime.restartCount++;
    await this.launch(ctx, c, { manual: false });
    this.d.events.publish('container', 'restart', c.record.id);
  }

  /**
   * Start-up reconciliation of one container: adopts its task when the shim still has one
   * (whatever the record says: a start whose state write had not landed still has a live
   * task), else records the exit that happened meanwhile (the shim's code, 255 when
   * unknowable). Returns what the restart policy or auto-removal asks for next.
   */
  async recover(c: Container): Promise<Recovery> {
    const d = this.d;
    const id = c.record.id;
    const st = c.runtime.state.Status;
    if (st === 'removing') return 'remove';
    const recordedRunning = isRunning(c);
    // 'dead' is how a container whose state record was unreadable loads.
    const unknown = st === 'dead';
    const found = await d.runtime
      .restore(id, {
        terminal: Boolean(c.record.config.Tty),
        openStdin: Boolean(c.record.config.OpenStdin),
        durableOutput: logsDurably(d.settings, c),
      })
      .catch((err) => {
        d.ctx.log.warn('could not restore task', { container: id, err });
        return undefined;
      });
    if (found && 'task' in found) {
      await d.volumes.adopt(c);
      const changed = await this.adopt(c, found.task, found.paused);
      await restoreExecs(d, d.ctx.log, c, found.task);
      if (changed) await d.store.saveState(c);
      d.ctx.log.info('re-adopted running container', { container: id, pid: found.task.pid });
      return 'none';
    }
    if (!recordedRunning && !unknown && !found) {
      // Stopped, and no task ran since: nothing to reconcile but the restart policy.
      await d.runtime.cleanup(id).catch(() => {});
      if (c.record.hostConfig.AutoRemove && st === 'exited') return 'remove';
      const p = c.record.hostConfig.RestartPolicy?.Name;
      const start =
        c.runtime.hasBeenStarted && (p === 'always' || (p === 'unless-stopped' && !c.runtime.manuallyStopped));
      return start ? 'restart' : 'none';
    }
    const exit = found?.exited ?? { exitCode: 255, exitedAt: new Date().toISOString() };
    await d.runtime.cleanup(id).catch(() => {});
    // The run began under an earlier berthd: plugins still count its volume mounts.
    await d.volumes
      .detach(c, { afterCrash: true })
      .catch((err) => d.ctx.log.warn('unmounting volumes failed', { container: id, err }));
    transition(c, 'exited', { Pid: 0, ExitCode: exit.exitCode, FinishedAt: exit.exitedAt });
    c.runtime.hasBeenStarted = true;
    await d.store.saveState(c);
    d.events.publish('container', 'die', id, { exitCode: String(exit.exitCode) });
    if (!unknown && shouldRestart(c.runtime, exit.exitCode, c.record.hostConfig.RestartPolicy)) return 'restart';
    return c.record.hostConfig.AutoRemove ? 'remove' : 'none';
  }

  /** Takes over a task found at start-up; true when the record changed (the caller saves it). */
  private async adopt(c: Container, task: Task, paused: boolean): Promise<boolean> {
    const st = c.runtime.state;
    const changed = st.Status !== (paused ? 'paused' : 'running') || st.Pid !== task.pid;
    const live = this.d.live.get(c.record.id);
    // A log server that is down now costs this run its records, not the re-adoption.
    const sink = await openLogSink(this.d.settings, this.d.ctx.log, c).catch((err) => {
      this.d.ctx.log.warn('could not reopen the logging driver; output is discarded', { container: c.record.id, err });
      return undefined;
    });
    await this.connect(c, live, task, sink, { start: false, paused });
    return changed;
  }

  /**
   * Connects a task to the container's live stdio, log sink and exit handling; starts a new
   * one. The status is recorded before the exit can be handled, so exit handling always
   * finds the run it ends.
   */
  private async connect(
    c: Container,
    live: Live,
    task: Task,
    log: LogSink | undefined,
    how: { start: boolean; paused: boolean },
  ): Promise<void> {
    const output = connectOutput(live.io, task.io, log);
    live.io.connectStdin(task.io.stdin, () => task.closeStdin());
    let pid = task.pid;
    try {
      if (how.start) pid = await task.start();
    } catch (err) {
      output.close();
      throw err;
    }
    live.task = task;
    live.closeLog = log ? () => log.close() : undefined;
    live.reopenLog = log?.reopen ? () => log.reopen!() : undefined;
    if (how.start) {
      // A new run's health is `starting` again (its last results stay in the log).
      const h = c.runtime.state.Health;
      transition(c, 'running', {
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: new Date().toISOString(),
        OOMKilled: false,
        ...(h ? { Health: { ...h, Status: 'starting', FailingStreak: 0 } } : {}),
      });
    } else {
      transition(c, how.paused ? 'paused' : 'running', { Pid: pid });
    }
    c.runtime.hasBeenStarted = true;
    live.oomKilled = c.runtime.state.OOMKilled && !how.start;
    task.onOom(() => this.oomKilled(c, live));
    if (!how.paused) this.probes.start(c, task);
    const started = Date.now();
    live.exitHandled = task
      .wait()
      .catch(() => ({ exitCode: 255, exitedAt: new Date().toISOString() }))
      .then((exit) => this.onExit(c, live, task, exit, output, Date.now() - started))
      .catch((err) => this.d.ctx.log.error('exit handling failed', { container: c.record.id, err }));
  }

  /**
   * The task's init exited: drain its output, record the exit, wake waiters, delete the
   * task (unmounts the rootfs, stops the shim) while the state is written, then apply the
   * restart policy or auto-removal.
   */
  private async onExit(
    c: Container,
    live: Live,
    task: Task,
    exit: TaskExit,
    output: OutputRun,
    ranMs: number,
  ): Promise<void> {
    const d = this.d;
    const id = c.record.id;
    this.probes.stop(id);
    await Promise.race([output.done, sleep(OUTPUT_DRAIN_MS)]);
    output.close();
    await live.closeLog?.().catch(() => {});
    live.closeLog = undefined;
    live.reopenLog = undefined;
    if (live.task === task) live.task = undefined;
    // The shim's event may not have come (berthd was down): the cgroup's counter tells.
    if (exit.oomKilled) this.oomKilled(c, live);
    transition(c, 'exited', {
      Pid: 0,
      ExitCode: exit.exitCode,
      FinishedAt: exit.exitedAt,
      OOMKilled: Boolean(live.oomKilled),
    });
    live.oomKilled = false;
    const restart = shouldRestart(c.runtime, exit.exitCode, c.record.hostConfig.RestartPolicy);
    if (restart) transition(c, 'restarting');
    // Waiters and attached clients learn of the exit now; whoever acts on the container
    // next (start, rm, a restart) awaits exitHandled, which covers the teardown below.
    live.io.endAll();
    live.io.resetStdin();
    live.events.emit('exit', exit.exitCode);
    d.events.publish('container', 'die', id, { exitCode: String(exit.exitCode) });
    const log = d.ctx.log;
    const teardown = Promise.all([
      task.delete().catch((err) => log.warn('task delete failed', { container: id, err })),
      d.store.saveState(c).catch((err) => log.error('saving container state failed', { container: id, err })),
      clearExecFiles(d, id).catch(() => {}),
      d.network?.release(id).catch((err) => log.warn('network release failed', { container: id, err })),
      d.volumes.detach(c).catch((err) => log.warn('unmounting volumes failed', { container: id, err })),
    ]);
    if (!restart && c.record.hostConfig.AutoRemove) {
      // The record goes now (`run --rm` is waiting for it); the removal's own cleanup
      // waits for this teardown through exitHandled.
      void this.remove(c, { force: true, volumes: true, background: true }).catch((err) =>
        log.warn('auto-remove failed', { container: id, err }),
      );
    }
    await teardown;
    live.exitHandled = undefined;
    if (restart) this.scheduleRestart(c, live, ranMs);
  }

  private scheduleRestart(c: Container, live: Live, ranMs: number): void {
    const d = this.d;
    const id = c.record.id;
    live.restartDelayMs = nextRestartDelay(live.restartDelayMs, ranMs);
    // Shutting down: the record says `restarting`, and start-up applies the policy.
    if (d.ctx.signal.aborted) return;
    live.restartTimer = setTimeout(() => {
      live.restartTimer = undefined;
      if (d.ctx.signal.aborted) return;
      void d.locks
        .run(id, async () => {
          if (c.runtime.state.Status !== 'restarting' || !d.store.get(id)) return;
          try {
            await this.restartByPolicy(d.ctx, c);
          } catch (err) {
            // Cut short by shutdown: the record still says restarting; start-up restarts it.
            if (d.ctx.signal.aborted) return;
            d.ctx.log.warn('restart failed', { container: id, err });
            transition(c, 'exited');
            await d.store.saveState(c).catch(() => {});
          }
        })
        .catch((err) => d.ctx.log.error('restart failed', { container: id, err }));
    }, live.restartDelayMs);
  }

  /**
   * A restart the policy scheduled is called off: the container stays exited (stop, rm).
   * The caller holds the lock and saves the state. False when none was pending.
   */
  cancelRestart(c: Container): boolean {
    const live = this.d.live.get(c.record.id);
    if (c.runtime.state.Status !== 'restarting' || live.task) return false;
    if (live.restartTimer) clearTimeout(live.restartTimer);
    live.restartTimer = undefined;
    transition(c, 'exited');
    return true;
  }

  /**
   * Sends a signal to the task's init (to every process with `all`), then thaws a frozen
   * task so it can act on it (Docker does the same). False when no task runs.
   */
  async signal(c: Container, sig: number, opts: { all?: boolean } = {}): Promise<boolean> {
    const task = this.taskOf(c);
    if (!task) return false;
    await task.kill(sig, opts.all);
    if (c.runtime.state.Status === 'paused' && this.taskOf(c) === task) {
      await task.resume().catch(() => {});
      transition(c, 'running');
      this.probes.start(c, task);
      this.d.events.publish('container', 'unpause', c.record.id);
    }
    return true;
  }

  /** The OOM killer acted in the container's cgroup: recorded and announced once per run. */
  private oomKilled(c: Container, live: Live): void {
    if (live.oomKilled) return;
    live.oomKilled = true;
    recordFields(c, { OOMKilled: true });
    this.d.events.publish('container', 'oom', c.record.id);
  }

  /** Resolves true once the current task's exit is recorded, false after `ms` (-1: no limit). */
  waitExit(c: Container, ms: number): Promise<boolean> {
    const live = this.d.live.get(c.record.id);
    // No task: its exit is recorded already ('exit' was emitted as the task was let go),
    // even while its teardown still runs — waiting for the event then would wait forever.
    if (!live.task) return Promise.resolve(true);
    return new Promise((resolve) => {
      // A stop timeout may be huge (`stop -t 99999999999`): a plain setTimeout would fire at once.
      const cancel =
        ms >= 0
          ? setLongTimeout(() => {
              live.events.off('exit', done);
              resolve(false);
            }, ms)
          : undefined;
      function done() {
        cancel?.();
        resolve(true);
      }
      live.events.once('exit', done);
    });
  }

  /** Freezes the task (cgroup freezer) and records it, fsynced; the caller holds the lock and checked it runs. */
  async pause(c: Container): Promise<void> {
    const task = this.taskOf(c);
    if (!task) throw conflict(`Container ${c.record.id} is not running`);
    await task.pause();
    this.probes.stop(c.record.id);
    transition(c, 'paused');
    await this.d.store.saveState(c);
  }

  /** Thaws the task and records it; the caller holds the lock and checked it is paused. */
  async resume(c: Container): Promise<void> {
    const task = this.taskOf(c);
    if (!task) throw conflict(`Container ${c.record.id} is not paused`);
    await task.resume();
    transition(c, 'running');
    await this.d.store.saveState(c);
    this.probes.start(c, task);
  }

  /**
   * Takes a container off the books in one atomic step — its directory moves to the trash,
   * its name and ID are released — after killing its task (with `force`; else conflict)
   * and awaiting the exit's record. Then the task's remains and the files go. Waiters for
   * `removed` are told once it is off the books.
   */
  async remove(c: Container, opts: RemoveOptions): Promise<void> {
    const d = this.d;
    const id = c.record.id;
    const live = d.live.get(id);
    if (isRunning(c) && c.runtime.state.Status !== 'restarting') {
      if (!opts.force) throw conflict(runningMessage(c.record.name));
      await this.killAndWait(c, live);
    }
    let teardown: Promise<void> | undefined;
    await d.locks.run(id, async () => {
      if (!d.store.get(id)) return; // removed meanwhile (auto-remove racing an rm)
      if (live.task) {
        // Started again between our kill and now: only force may take it down.
        if (!opts.force) throw conflict(runningMessage(c.record.name));
        await this.killAndWait(c, live);
      }
      if (live.restartTimer) clearTimeout(live.restartTimer);
      live.restartTimer = undefined;
      this.probes.stop(id);
      transition(c, 'removing');
      await d.store.moveToTrash(id);
      // Off the books: its volume references go, and with -v (or --rm) its anonymous volumes.
      await d.volumes
        .forget(c, Boolean(opts.volumes))
        .catch((err) => d.ctx.log.warn('releasing volumes failed', { container: id, err }));
      d.execs.dropContainer(id);
      const exitHandled = live.exitHandled;
      const log = d.ctx.log;
      teardown = (async () => {
        await exitHandled;
        await d.runtime.cleanup(id).catch((err) => log.warn('task cleanup failed', { container: id, err }));
        await d.network?.release(id).catch((err) => log.warn('network release failed', { container: id, err }));
        await d.store.emptyTrash(id);
      })();
    });
    if (!teardown) return;
    // The record is gone, so the event's enricher cannot find these: they travel with it.
    d.events.publish('container', 'destroy', id, { image: c.record.config.Image, name: c.record.name });
    live.io.endAll();
    live.events.emit('removed', c.runtime.state.ExitCode);
    d.live.delete(id);
    if (opts.background) d.background.track(teardown);
    else await teardown;
  }

  /** SIGKILL to every process, then the exit's record. */
  private async killAndWait(c: Container, live: Live): Promise<void> {
    c.runtime.manuallyStopped = true;
    if (!live.task) return;
    const exited = new Promise<void>((resolve) => live.events.once('exit', () => resolve()));
    await live.task.kill(SIGKILL, true).catch(() => {});
    await exited;
  }
}
