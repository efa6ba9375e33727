// ExecSync: an exec through the engine's exec service with its output collected (16 MiB
// per stream at most, as kubelet caps it); past the timeout the process is killed and
// the call fails, so a probe that hangs leaves nothing running.
import { BerthError } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';
import { createExec, inspectExec, prepareExecStart, runExecStart } from '../containers/exec.ts';
import { opOf, type CriDeps } from './deps.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import { ExecConn } from './exec-conn.ts';

const MAX_OUTPUT = 16 << 20;

export async function execSync(
  deps: CriDeps,
  req: cri.Decoded<cri.ExecSyncRequest>,
  signal: AbortSignal,
): Promise<cri.ExecSyncResponse> {
  const c = resolveCriContainer(deps, req.container_id);
  const cdeps = deps.containers;
  const { Id } = await createExec(cdeps, c.record.id, { Cmd: req.cmd, AttachStdout: true, AttachStderr: true });
  const out: Buffer[][] = [[], []];
  const size = [0, 0];
  const conn = new ExecConn(
    (stream, chunk) => {
      const i = stream - 1;
      if (size[i] + chunk.length > MAX_OUTPUT) return;
      out[i].push(Buffer.from(chunk));
      size[i] += chunk.length;
    },
    { framed: true },
  );
  const run = runExecStart(cdeps, opOf(deps, signal), prepareExecStart(cdeps, Id, { detach: false }), conn, true);
  const timeoutMs = Number(req.timeout) > 0 ? Number(req.timeout) * 1000 : 0;
  let timedOut = false;
  const kill = () =>
    void cdeps.execs
      .get(Id)
      .proc?.kill(9)
      .catch(() => {});
  const timer = timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs)
    : undefined;
  signal.addEventListener('abort', kill, { once: true });
  try {
    await run;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', kill);
  }
  if (timedOut)
    throw new BerthError('unavailable', `command ${JSON.stringify(req.cmd)} timed out after ${req.timeout}s`);
  const code = inspectExec(cdeps, Id).ExitCode as number | null;
  return { stdout: Buffer.concat(out[0]), stderr: Buffer.concat(out[1]), exit_code: code ?? -1 };
}
