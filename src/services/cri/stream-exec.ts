// Exec through the streaming server (crictl exec -it, kubectl exec): the engine's exec
// service with the client's streams — a TTY's output on stdout alone, resizes to the
// process's terminal, no detach keys — answering the exit code.
import type { OpContext } from '../../common/context.ts';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { createExec, inspectExec, prepareExecStart, runExecStart } from '../containers/exec.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import type { CriDeps } from './deps.ts';
import { clientConn } from './exec-conn.ts';

/** A streaming session's client side, as the edge hands it over (cri/backend.ts StreamIo). */
export interface ClientStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resizes: EventEmitter<{ resize: [{ width: number; height: number }] }>;
  signal: AbortSignal;
}

/** What Exec and Attach check before they answer a URL. */
export function checkStreamRequest(
  deps: CriDeps,
  r: { container_id: string; stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
): void {
  const c = resolveCriContainer(deps, r.container_id);
  if (c.runtime.state.Status !== 'running') throw conflict(`container ${c.record.id} is not running`);
  if (!r.stdin && !r.stdout && !r.stderr) throw invalidArgument('one of stdin, stdout, or stderr must be set');
  if (r.tty && r.stderr) throw invalidArgument('tty and stderr cannot both be true');
}

export function checkExec(deps: CriDeps, req: cri.Decoded<cri.ExecRequest>): void {
  if (!req.cmd.length) throw invalidArgument('cmd is required');
  checkStreamRequest(deps, req);
}

export async function streamExec(
  deps: CriDeps,
  ctx: OpContext,
  req: cri.Decoded<cri.ExecRequest>,
  io: ClientStreams,
): Promise<number> {
  const c = resolveCriContainer(deps, req.container_id);
  const cdeps = deps.containers;
  const { Id } = await createExec(cdeps, c.record.id, {
    Cmd: req.cmd,
    Tty: req.tty,
    AttachStdin: Boolean(io.stdin),
    AttachStdout: Boolean(io.stdout),
    AttachStderr: Boolean(io.stderr),
  });
  const conn = clientConn(io, !req.tty);
  const prepared = prepareExecStart(cdeps, Id, { detach: false, noDetachKeys: true });
  // The first size often comes before the process exists: it is kept for its start.
  const onResize = ({ width, height }: { width: number; height: number }) => {
    prepared.consoleSize = [height, width];
    void cdeps.execs
      .get(Id)
      .proc?.resize(width, height)
      .catch(() => {});
  };
  io.resizes.on('resize', onResize);
  try {
    await runExecStart(cdeps, ctx, prepared, conn, !req.tty);
  } finally {
    io.resizes.off('resize', onResize);
  }
  return (inspectExec(cdeps, Id).ExitCode as number | null) ?? 0;
}
