// The services' Task and ExecProcess ports over runtime/'s TaskHandle and ExecHandle. The
// shim's answers are mapped to the ports' contract (services/testing/task-runtime-
// conformance.ts): a request the task's state does not allow is a conflict (the shim says
// "unknown"), a deleted task or process is not-found, delete and closeStdin are complete
// on their own (a live task is killed first; the writer is flushed and closed first).
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { conflict, isKind, notFound } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Process } from '../oci/runtime-spec.ts';
import { stdioPaths } from '../runtime/stdio.ts';
import type { TaskStatus } from '../runtime/task-api.ts';
import type { ExecHandle, Runtime, TaskHandle } from '../runtime/task.ts';
import { updateResources, type ResourceFields } from '../runtime/resources.ts';
import type { ExecProcess, Task, TaskExit } from '../services/containers/ports.ts';

const SIGKILL = 9;
/** How long a killed process may take to be reaped before delete falls back to the shim binary. */
const KILL_WAIT_MS = 10_000;

const iso = (d: Date) => d.toISOString();

export interface TaskContext {
  readonly rt: Runtime;
  readonly log: Logger;
  /** True while berthd shuts down: connections it drops on purpose are not dead shims. */
  closing(): boolean;
  /** The task is being deleted: the adapter stops tracking it. */
  forget(h: TaskHandle): void;
  /** Exec processes whose fds the adapter drops when it closes (and stops dropping once deleted). */
  readonly execs: Set<ExecHandle>;
  /** Removes the task's bundle directory (never through a mounted rootfs). */
  removeBundle(bundle: string): Promise<void>;
  /** Registers a listener for the OOM kills the shims report in the task's container. */
  onOom(id: string, listener: () => void): void;
  /** Whether the kernel's OOM killer acted in the task's cgroup (its counter, events or not). */
  oomKilled(id: string): Promise<boolean>;
}

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Flushes and closes our write end of a stdin FIFO (a no-op when the caller already did). */
function endWriter(w: Writable | null | undefined): Promise<void> {
  if (!w || w.destroyed || w.writableFinished) return Promise.resolve();
  return new Promise<void>((resolve) => w.end(() => resolve()));
}

/**
 * The shim refuses a request the task's state does not allow with an "unknown" status:
 * that refusal becomes a conflict naming the state; any other error is returned as it is.
 */
async function refusal(h: TaskHandle, err: unknown, allowed: TaskStatus[], what: string): Promise<unknown> {
  if (!isKind(err, 'internal')) return err;
  const st = await h.state().catch(() => undefined);
  if (!st || allowed.includes(st.status)) return err;
  return conflict(`cannot ${what} container ${h.id}: it is ${st.status}`, err);
}

/**
 * Kills a task that still runs (thawing a frozen one so the kill lands) and waits for its
 * exit, then deletes it and shuts its shim down. The shim deletes only a stopped task.
 */
export async function killAndDelete(h: TaskHandle): Promise<void> {
  const st = await h.state();
  if (st.status !== 'stopped') {
    await h.kill(SIGKILL, true).catch((err) => {
      if (!isKind(err, 'not-found')) throw err;
    });
    if (st.status === 'paused' || st.status === 'pausing') await h.resume().catch(() => {});
    await within(h.wait(), KILL_WAIT_MS);
  }
  await h.delete({ removeFiles: false });
}

export function taskOf(h: TaskHandle, terminal: boolean, ctx: TaskContext): Task {
  let waited: Promise<TaskExit> | undefined;
  let deleted: Promise<void> | undefined;
  const live = () => {
    if (deleted) throw notFound(`task ${h.id} not found`);
  };
  const io = {
    stdout: h.io!.stdout,
    stderr: terminal ? null : h.io!.stderr,
    stdin: h.io?.stdin ?? null,
    ...(h.io?.spool ? { durable: h.io.spool } : {}),
  };
  return {
    pid: h.pid,
    io,
    async start() {
      live();
      return h.start();
    },
    async kill(sig, all) {
      live();
      await h.kill(sig, all);
    },
    onOom: (listener) => ctx.onOom(h.id, listener),
    wait: () =>
      (waited ??= h.wait().then(
        // The cgroup outlives the init until the task is deleted: its OOM counter says
        // whether the kernel killed anything in it (berthd may have missed the event).
        async (e) => {
          h.io?.spool?.kick(); // the output ends now: no need to wait for the next poll
          return { exitCode: e.exitCode, exitedAt: iso(e.exitedAt), oomKilled: await ctx.oomKilled(h.id) };
        },
        // The shim went away under us: its delete action still knows (or 255).
        async () => {
          if (ctx.closing()) return new Promise<TaskExit>(() => {});
          const r = await ctx.rt.cleanupDead(h.id, h.bundle);
          return { exitCode: r.exitCode, exitedAt: iso(r.exitedAt) };
        },
      )),
    async closeStdin() {
      live();
      await endWriter(io.stdin);
      await h.shim.task.closeIO(h.id, '', true);
    },
    async resize(w, hgt) {
      live();
      await h.resize(w, hgt);
    },
    async pause() {
      live();
      await h.pause().catch(async (err) => {
        throw await refusal(h, err, ['running'], 'pause');
      });
    },
    async resume() {
      live();
      await h.resume().catch(async (err) => {
        throw await refusal(h, err, ['paused', 'pausing'], 'resume');
      });
    },
    async updateResources(r) {
      live();
      await h.update(updateResources(r as ResourceFields));
    },
    async pids() {
      live();
      return h.pids();
    },
    async exec(req) {
      live();
      const paths = stdioPaths(h.bundle, { stdin: req.openStdin, prefix: `exec-${req.execId.slice(0, 24)}` });
      // The FIFOs are named after the exec: existing ones belong to a live exec of that ID,
      // which opening (and on failure removing) them again would cut off.
      if (existsSync(paths.stdout)) throw conflict(`exec ${req.execId} already exists in container ${h.id}`);
      let e: ExecHandle;
      try {
        e = await h.exec(req.execId, req.process as Process, paths);
      } catch (err) {
        throw await refusal(h, err, ['running', 'created'], 'exec in');
      }
      return execOf(e, req.terminal, ctx);
    },
    async restoreExec(execId, o) {
      live();
      const r = await h.restoreExec(execId);
      if (!r) return undefined;
      if ('exit' in r) return { exited: { exitCode: r.exit.exitCode, exitedAt: iso(r.exit.exitedAt) } };
      return { proc: execOf(r.handle, o.terminal, ctx) };
    },
    delete: () =>
      (deleted ??= (async () => {
        ctx.forget(h);
        await killAndDelete(h).catch(async (err) => {
          ctx.log.debug('task delete failed; cleaning up as dead', { id: h.id, err });
          h.close();
          await ctx.rt.cleanupDead(h.id, h.bundle);
        });
        await ctx.removeBundle(h.bundle);
      })()),
  };
}

function execOf(e: ExecHandle, terminal: boolean, ctx: TaskContext): ExecProcess {
  ctx.execs.add(e);
  let deleted: Promise<void> | undefined;
  let exited = false;
  const live = () => {
    if (deleted) throw notFound(`exec ${e.execId} not found`);
  };
  const io = { stdout: e.io.stdout, stderr: terminal ? null : e.io.stderr, stdin: e.io.stdin ?? null };
  return {
    io,
    async start() {
      live();
      return e.start();
    },
    wait: async () => {
      const x = await e.wait();
      exited = true;
      return { exitCode: x.exitCode, exitedAt: iso(x.exitedAt) };
    },
    async kill(sig) {
      live();
      await e.kill(sig);
    },
    async resize(w, hgt) {
      live();
      await e.resize(w, hgt);
    },
    async closeStdin() {
      live();
      await endWriter(io.stdin);
      await e.task.shim.task.closeIO(e.task.id, e.execId, true);
    },
    delete: () =>
      (deleted ??= (async () => {
        // The shim deletes only a process that exited: one still running is killed first.
        if (!exited)
          await e.kill(SIGKILL).then(
            () => within(e.wait(), KILL_WAIT_MS),
            () => undefined,
          );
        await e.delete().catch(() => undefined);
        ctx.execs.delete(e);
      })()),
    close: () => {
      e.close();
      ctx.execs.delete(e);
    },
  };
}
