// Port-forward into a pod: a TCP connection to the port on the pod's own loopback, made
// inside its network namespace (so a server bound to 127.0.0.1 in the pod is reached, as
// with kubelet's runtimes), joined to the client's stream both ways with half-closes.
// A host-network pod's port is the host's loopback.
import { connect, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { conflict } from '../../common/errors.ts';
import { connectInNamespace } from '../../sys/netns.ts';
import type { CriDeps } from './deps.ts';
import { nsMode } from './sandbox-run.ts';

/** The sandbox's running infra, or a conflict (PortForward's check and the session's). */
export function forwardTarget(deps: CriDeps, podSandboxId: string): { hostNetwork: boolean; pid: number } {
  const s = deps.sandboxes.resolve(podSandboxId);
  const infra = deps.containers.store.get(s.id);
  const pid = infra?.runtime.state.Pid ?? 0;
  if (infra?.runtime.state.Status !== 'running' || !pid) throw conflict(`pod sandbox ${s.id} is not running`);
  return { hostNetwork: nsMode(s.config, 'network') === 'NODE', pid };
}

async function open(target: { hostNetwork: boolean; pid: number }, port: number): Promise<Socket> {
  if (!target.hostNetwork) {
    const fd = await connectInNamespace(`/proc/${target.pid}/ns/net`, port);
    return new Socket({ fd, readable: true, writable: true });
  }
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

export async function portForward(
  deps: CriDeps,
  podSandboxId: string,
  port: number,
  conn: Duplex,
  signal: AbortSignal,
): Promise<void> {
  const sock = await open(forwardTarget(deps, podSandboxId), port);
  await new Promise<void>((resolve, reject) => {
    let open = 2;
    const half = () => {
      if (--open === 0) finish();
    };
    const finish = (err?: Error) => {
      signal.removeEventListener('abort', abort);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const abort = () => finish();
    signal.addEventListener('abort', abort, { once: true });
    conn.pipe(sock); // the client's FIN ends our write to the port
    sock.pipe(conn); // the port's FIN ends the client's stream
    conn.once('end', half);
    sock.once('end', half);
    sock.once('error', (e) => finish(e));
    conn.once('close', () => finish());
  });
}
