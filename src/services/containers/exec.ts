// docker exec: POST /containers/{id}/exec (create), /exec/{id}/start (hijacked or
// detached), /exec/{id}/resize, /exec/{id}/json.
//
// Lifecycle of an exec: created (in memory only) → started (the record is written to
// containers/<id>/execs/<exec>.json with its pid) → exited (exit code written). The process
// lives under the container's shim, so it survives a berthd restart: restoreExecs()
// (exec-process.ts, called by the supervisor when it re-adopts the task) finds running ones
// again through the shim (draining their output) and records the exits that happened
// meanwhile. Records go with the container (its exit clears the files; removal forgets
// them); a container keeps at most MAX_FINISHED finished ones (exec-registry.ts).
import type { Duplex } from 'node:stream';
import { BerthError, conflict, invalidArgument, kindOf, messageOf } from '../../common/errors.ts';
import { newId } from '../../common/ids.ts';
import { frame, STDERR, STDOUT } from '../../common/stdcopy.ts';
import type { OpContext } from '../../common/context.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import type { ExecProcess, Task } from './ports.ts';
import type { ExecRecord } from './exec-registry.ts';
import { DEFAULT_DETACH_KEYS, holdStdin, parseDetachKeys, pumpStdin, type HeldInput } from './stdin.ts';
import { finishExec, OutputPump, persistExec } from './exec-process.ts';
import { lowersOf, upperOf } from './rootfs.ts';
import type { IdResponse } from '../../api/types/common.ts';
import type { ExecCreateBody, ExecInspect } from '../../api/types/exec.ts';

export type { ExecRecord } from './exec-registry.ts';

export type ExecDeps = Pick<ContainerDeps, 'store' | 'live' | 'execs' | 'events' | 'settings'>;
export type ExecStartDeps = ExecDeps & Pick<ContainerDeps, 'runtime' | 'images' | 'layers'>;

/** The container must be running, not paused or restarting: Docker's 409s. */
function runningTask(c: Container, live: { task?: Task }): Task {
  const id = c.record.id;
  const st = c.runtime.state.Status;
  if (st === 'paused') throw conflict(`Container ${id} is paused, unpause the container before exec`);
  if (st === 'restarting') throw conflict(`Container ${id} is restarting, wait until the container is running`);
  if (st !== 'running' || !live.task) throw conflict(`Container ${id} is not running`);
  return live.task;
}

export async function createExec(deps: ExecDeps, idOrName: string, body: ExecCreateBody): Promise<IdResponse> {
  const c = deps.store.resolve(idOrName);
  runningTask(c, deps.live.get(c.record.id));
  const cmd = body.Cmd ?? [];
  if (cmd.length === 0) throw invalidArgument('No exec command specified');
  const env = body.Env ?? [];
  for (const e of env)
    if (!e.includes('=') || e.startsWith('=')) throw invalidArgument(`invalid environment variable: ${e}`);
  const detachKeys = body.DetachKeys ?? '';
  if (detachKeys) parseDetachKeys(detachKeys);
  const record: ExecRecord = {
    ID: newId(),
    ContainerID: c.record.id,
    Running: false,
    ExitCode: null,
    Pid: 0,
    OpenStdin: body.AttachStdin ?? false,
    OpenStdout: body.AttachStdout ?? false,
    OpenStderr: body.AttachStderr ?? false,
    DetachKeys: detachKeys,
    CanRemove: false,
    ProcessConfig: {
      tty: body.Tty ?? false,
      entrypoint: cmd[0],
      arguments: cmd.slice(1),
      privileged: body.Privileged ?? false,
      user: body.User ?? '',
    },
    WorkingDir: body.WorkingDir ?? '',
    Env: env,
    Started: false,
  };
  deps.execs.add({ record });
  deps.events.publish('container', `exec_create: ${cmd.join(' ')}`, c.record.id, { execID: record.ID });
  return { Id: record.ID };
}

export function inspectExec(deps: Pick<ContainerDeps, 'execs'>, execId: string): ExecInspect {
  const r = deps.execs.get(execId).record;
  return {
    ID: r.ID,
    Running: r.Running,
    ExitCode: r.ExitCode,
    ProcessConfig: r.ProcessConfig,
    OpenStdin: r.OpenStdin,
    OpenStderr: r.OpenStderr,
    OpenStdout: r.OpenStdout,
    CanRemove: r.CanRemove,
    ContainerID: r.ContainerID,
    DetachKeys: r.DetachKeys,
    Pid: r.Pid,
  };
}

export async function resizeExec(
  deps: Pick<ContainerDeps, 'execs'>,
  execId: string,
  h: number,
  w: number,
): Promise<void> {
  const e = deps.execs.get(execId);
  if (!e.proc || !e.record.Running) throw conflict(`Exec ${execId} is not running`);
  await e.proc.resize(w, h);
}

export interface ExecStartOptions {
  detach: boolean;
  tty?: boolean;
  consoleSize?: [number, number];
  /** No detach keys (the CRI's sessions: their clients leave by closing). */
  noDetachKeys?: boolean;
}

/** Validates before the connection is hijacked; `run` starts the process and streams it. */
export function prepareExecStart(deps: ExecDeps, execId: string, o: ExecStartOptions) {
  const e = deps.execs.get(execId);
  const c = deps.store.resolve(e.record.ContainerID);
  if (e.record.Started) throw conflict(`Exec ${execId} has already been started`);
  runningTask(c, deps.live.get(c.record.id));
  const tty = e.record.ProcessConfig.tty;
  const keys = o.noDetachKeys
    ? undefined
    : parseDetachKeys(e.record.DetachKeys || deps.settings.detachKeys || DEFAULT_DETACH_KEYS);
  return { e, c, tty, keys, detach: o.detach, consoleSize: o.consoleSize };
}

type Prepared = ReturnType<typeof prepareExecStart>;

/**
 * Starts the exec. With `conn` the output streams to it (framed unless TTY) and stdin comes
 * from it; the connection closes after the process exited and its exit was recorded, so a
 * client that inspects next sees the code. Without `conn` (Detach) output is discarded.
 */
export async function runExecStart(
  deps: ExecStartDeps,
  ctx: OpContext,
  p: Prepared,
  conn: Duplex | undefined,
  framed: boolean,
): Promise<void> {
  const { e, c, tty } = p;
  const r = e.record;
  r.Started = true;
  // Stdin the client sends while the process is being created is kept for it.
  const held = conn ? holdStdin(conn) : undefined;
  const live = deps.live.get(c.record.id);
  let proc: ExecProcess;
  try {
    const task = runningTask(c, live);
    const process = await deps.runtime.buildExecProcess({
      containerId: c.record.id,
      args: [r.ProcessConfig.entrypoint, ...r.ProcessConfig.arguments],
      env: r.Env,
      cwd: r.WorkingDir,
      user: r.ProcessConfig.user,
      terminal: tty,
      privileged: r.ProcessConfig.privileged,
      readImageFile: (path) => readContainerFile(deps, c, path),
    });
    proc = await task.exec({ execId: r.ID, process, terminal: tty, openStdin: r.OpenStdin });
  } catch (err) {
    held?.stop();
    return failStart(deps, ctx, p, conn, framed, err);
  }
  e.proc = proc;
  const out = new OutputPump(conn && (r.OpenStdout || r.OpenStderr) ? conn : undefined, framed);
  const outputDone = Promise.all([
    out.add(proc.io.stdout, r.OpenStdout ? STDOUT : 0),
    proc.io.stderr ? out.add(proc.io.stderr, r.OpenStderr ? STDERR : 0) : undefined,
  ]);
  let pid: number;
  try {
    pid = await proc.start();
  } catch (err) {
    await proc.delete();
    e.proc = undefined;
    held?.stop();
    return failStart(deps, ctx, p, conn, framed, err);
  }
  if (p.consoleSize && tty && p.consoleSize[0] > 0)
    await proc.resize(p.consoleSize[1], p.consoleSize[0]).catch(() => {});
  // The record is on file before anyone can see the exec running: a berthd killed right
  // after a client saw Running must find the exec again when it restarts.
  await persistExec(deps, { ...r, Pid: pid, Running: true }).catch((err) =>
    ctx.log.debug('exec record not saved', { exec: r.ID, err }),
  );
  r.Pid = pid;
  r.Running = true;
  deps.events.publish(
    'container',
    `exec_start: ${[r.ProcessConfig.entrypoint, ...r.ProcessConfig.arguments].join(' ')}`,
    c.record.id,
    { execID: r.ID },
  );
  if (!conn) {
    // Detached: the API answers now; the exit is recorded in the background.
    void finishExec(deps, ctx.log, c, e, proc, outputDone).catch((err) =>
      ctx.log.warn('exec exit handling failed', { exec: r.ID, err }),
    );
    return;
  }
  wireClient(deps, p, proc, conn, out, held);
  await finishExec(deps, ctx.log, c, e, proc, outputDone);
  if (!conn.destroyed) conn.end();
}

function wireClient(
  deps: ExecDeps,
  p: Prepared,
  proc: ExecProcess,
  conn: Duplex,
  out: OutputPump,
  held: HeldInput | undefined,
): void {
  const { e, c, tty, keys } = p;
  const gone = () => out.detach();
  conn.once('close', gone);
  conn.once('error', gone);
  if (!e.record.OpenStdin || !proc.io.stdin) {
    held?.stop();
    conn.resume();
    return;
  }
  const stdin = proc.io.stdin;
  pumpStdin(
    conn,
    tty ? keys : undefined,
    {
      write: (b) => {
        if (!stdin.destroyed) stdin.write(b);
      },
      onDetach: () => {
        deps.events.publish('container', 'exec_detach', c.record.id, { execID: e.record.ID });
        out.detach();
        conn.end();
        setTimeout(() => conn.destroy(), 2000).unref();
      },
      // Without a TTY the client's EOF is the process's EOF (Docker's CloseStdin).
      onEnd: () => {
        if (tty) return;
        stdin.end(() => void proc.closeStdin().catch(() => {}));
      },
    },
    held,
  );
}

async function failStart(
  deps: ExecStartDeps,
  ctx: OpContext,
  p: Prepared,
  conn: Duplex | undefined,
  framed: boolean,
  err: unknown,
): Promise<void> {
  const r = p.e.record;
  const code = deps.runtime.exitCodeFor(err);
  r.ExitCode = code === 125 ? 126 : code;
  r.Running = false;
  const m = messageOf(err);
  const msg = m.startsWith('OCI runtime') ? m : `OCI runtime exec failed: ${m}`;
  ctx.log.debug('exec start failed', { exec: r.ID, err });
  if (!conn)
    throw new BerthError(kindOf(err) === 'invalid-argument' ? 'invalid-argument' : 'internal', msg, { cause: err });
  const line = Buffer.from(msg + '\r\n');
  conn.end(framed ? frame(STDOUT, line) : line);
  conn.resume(); // read to the client's EOF so the socket closes
}

async function readContainerFile(deps: ExecStartDeps, c: Container, path: string): Promise<Buffer | undefined> {
  // An image removed (rmi -f) under a running container leaves just its upper dir to read.
  const lowers = deps.images.get(c.record.image) ? lowersOf(deps, c) : [];
  return deps.layers.readFile(lowers, upperOf(deps, c), path, 1 << 20);
}
