// Kubernetes' port-forward protocol (portforward.k8s.io) over a SPDY session: for each
// connection it forwards, the client opens an error stream and a data stream carrying the
// same `requestID` and the `port`; once both are there the data stream is joined to the
// port inside the pod, and a failure is written, as text, on the error stream. The session
// lasts until the client closes it.
import type { Duplex } from 'node:stream';
import { messageOf } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { StreamingBackend } from '../backend.ts';
import type { SpdySession, SpdyStream } from '../spdy/session.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** A pair whose second stream does not come is dropped. */
const PAIR_TIMEOUT_MS = 30_000;

export function servePortForward(
  session: SpdySession,
  podSandboxId: string,
  allowedPorts: number[],
  backend: Pick<StreamingBackend, 'portForward'>,
  log: Logger,
): void {
  const ac = new AbortController();
  session.once('close', () => ac.abort());
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  session.on('stream', (s: SpdyStream) => {
    const type = s.header('streamType');
    const id = s.header('requestID');
    const port = Number(s.header('port'));
    if ((type !== 'error' && type !== 'data') || !id || !Number.isInteger(port) || port <= 0 || port > 65535) {
      s.reset();
      return;
    }
    s.reply();
    let p = pairs.get(id);
    if (!p) {
      const timer = setTimeout(() => {
        const stale = pairs.get(id);
        pairs.delete(id);
        stale?.error?.reset();
        stale?.data?.reset();
      }, PAIR_TIMEOUT_MS);
      p = { timer };
      pairs.set(id, p);
    }
    if (p[type]) {
      s.reset();
      return;
    }
    p[type] = s;
    if (!p.error || !p.data) return;
    clearTimeout(p.timer);
    pairs.delete(id);
    const { error, data } = p;
    // The client only reads the error stream: its own side is done.
    error.resume();
    const forward = forwardPort(backend, podSandboxId, port, allowedPorts, data, ac.signal);
    forward.then(
      () => {
        error.end();
        if (!data.destroyed && !data.writableEnded) data.end();
      },
      (err: unknown) => {
        log.debug('CRI port-forward failed', { pod: podSandboxId, port, err: messageOf(err) });
        error.end(`error forwarding port ${port} to pod ${podSandboxId}: ${messageOf(err)}`);
        if (!data.destroyed && !data.writableEnded) data.end();
      },
    );
  });
}

/** Forwards `conn` to the port, if PortForward asked for it (an empty list allows any). */
export function forwardPort(
  backend: Pick<StreamingBackend, 'portForward'>,
  podSandboxId: string,
  port: number,
  allowedPorts: number[],
  conn: Duplex,
  signal: AbortSignal,
): Promise<void> {
  if (allowedPorts.length && !allowedPorts.includes(port))
    return Promise.reject(new Error(`port ${port} was not asked for in PortForward (${allowedPorts.join(', ')})`));
  return backend.portForward(podSandboxId, port, conn, signal);
}
