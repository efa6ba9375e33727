// Kubernetes' port-forward protocol over a WebSocket in its channel form (kubelet's
// v4.channel.k8s.io for port-forward): the ports are the URL's (`?port=80&port=443`) or,
// when it names none, the PortForward request's — the kubelet proxies a client's
// connection to the URL we answered without the client's query, as kubelet's streaming
// library expects (it takes the ports from the request);
// port i has data channel 2i (both ways) and error channel 2i+1 (ours only); the first
// message on each carries the port, uint16 little-endian; one connection per port is made
// into the pod, a failure is written as text on its error channel, and the WebSocket
// closes once every port's connection has ended (on the pod's side: the client has no
// half-close here). (crictl's and kubectl's websocket transport tunnel SPDY instead:
// server.ts runs portforward.ts over it.)
import { invalidArgument, messageOf } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { StreamingBackend } from '../backend.ts';
import { forwardPort } from './portforward.ts';
import type { ChannelConnection } from './ws-channels.ts';

export const WS_PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** The URL's `port` parameters, else the PortForward request's ports: at least one, each 1..65535. */
export function portsOf(search: URLSearchParams, requested: number[] = []): number[] {
  const raw = search.getAll('port');
  if (!raw.length) raw.push(...requested.map(String));
  if (!raw.length) throw invalidArgument('query parameter "port" is required');
  return raw.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw invalidArgument(`invalid port ${JSON.stringify(p)}`);
    return n;
  });
}

/** Channels the client writes to: the data channels. */
export function portForwardReadable(ports: number[]): number[] {
  return ports.map((_, i) => 2 * i);
}

export function servePortForwardWs(
  channels: ChannelConnection,
  podSandboxId: string,
  ports: number[],
  allowedPorts: number[],
  backend: Pick<StreamingBackend, 'portForward'>,
  log: Logger,
): void {
  const ac = new AbortController();
  channels.conn.once('close', () => ac.abort());
  const forwards = ports.map((port, i) => {
    const data = channels.channel(2 * i);
    const errorNum = 2 * i + 1;
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    channels.send(2 * i, portBytes);
    channels.send(errorNum, portBytes);
    // The client cannot half-close a channel here: the forward is over once the pod's side
    // has ended and its bytes are sent (kubelet's runtimes end it there too).
    const done = new AbortController();
    const stop = () => done.abort();
    ac.signal.addEventListener('abort', stop, { once: true });
    data.once('finish', stop);
    const forward = forwardPort(backend, podSandboxId, port, allowedPorts, data, done.signal);
    return forward.catch((err: unknown) => {
      log.debug('CRI port-forward (websocket) failed', { pod: podSandboxId, port, err: messageOf(err) });
      channels.send(errorNum, Buffer.from(`error forwarding port ${port} to pod ${podSandboxId}: ${messageOf(err)}`));
    });
  });
  void Promise.all(forwards).then(() => channels.close());
}
