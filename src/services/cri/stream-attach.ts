// Attach through the streaming server (crictl attach, kubectl attach): the engine's attach
// service on the container's live stdio, resizes to its terminal, no detach keys; it ends
// when the container exits or the client leaves.
import type { OpContext } from '../../common/context.ts';
import type * as cri from '../../cri-types/api.ts';
import { prepareAttach, runAttach } from '../containers/attach.ts';
import { resizeContainer } from '../containers/resize.ts';
import { resolveCriContainer } from './container-lifecycle.ts';
import type { CriDeps } from './deps.ts';
import { clientConn } from './exec-conn.ts';
import { checkStreamRequest, type ClientStreams } from './stream-exec.ts';

export function checkAttach(deps: CriDeps, req: cri.Decoded<cri.AttachRequest>): void {
  checkStreamRequest(deps, req);
}

export async function streamAttach(
  deps: CriDeps,
  ctx: OpContext,
  req: cri.Decoded<cri.AttachRequest>,
  io: ClientStreams,
): Promise<void> {
  const c = resolveCriContainer(deps, req.container_id);
  const cdeps = deps.containers;
  const tty = Boolean(c.record.config.Tty);
  const o = {
    stream: true,
    logs: false,
    stdin: Boolean(io.stdin),
    stdout: Boolean(io.stdout),
    stderr: Boolean(io.stderr),
    noDetachKeys: true,
  };
  const prepared = prepareAttach(cdeps, c.record.id, o);
  const conn = clientConn(io, !tty);
  const gone = () => conn.destroy();
  // The container's output ended (it exited): the session is over, whatever the client's
  // stdin still holds open.
  conn.once('finish', gone);
  io.signal.addEventListener('abort', gone, { once: true });
  const onResize = ({ width, height }: { width: number; height: number }) =>
    void resizeContainer(cdeps, c.record.id, height, width).catch(() => {});
  io.resizes.on('resize', onResize);
  try {
    await runAttach(cdeps, ctx, prepared, o, conn, !tty);
  } finally {
    io.resizes.off('resize', onResize);
    io.signal.removeEventListener('abort', gone);
  }
}
