// Kubernetes' remote-command protocol (exec and attach) over a WebSocket, as kubelet serves
// it to client-go's WebSocket executor (crictl --transport websocket): fixed channels —
// 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize — an empty message on the lowest channel we
// write to says the streams are up, the command's end is a metav1.Status on the error
// channel (v4 on), then a normal close. v5 lets the client half-close stdin.
import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/logger.ts';
import type { StreamIo } from '../backend.ts';
import { type RemoteCommandOptions, type RunCommand, readResizes, runToStatus } from './remotecommand.ts';
import type { ChannelConnection } from './ws-channels.ts';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;

/** The subprotocols served, ours first when the client offers several. */
export const WS_REMOTE_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** The channels the client writes to for a request. */
export function remoteCommandReadable(opts: RemoteCommandOptions): number[] {
  return [...(opts.stdin ? [STDIN] : []), ...(opts.tty ? [RESIZE] : [])];
}

export function serveRemoteCommandWs(
  channels: ChannelConnection,
  protocol: string,
  opts: RemoteCommandOptions,
  run: RunCommand,
  log: Logger,
): void {
  const ac = new AbortController();
  channels.conn.once('close', () => ac.abort());
  const resizes: StreamIo['resizes'] = new EventEmitter();
  if (opts.tty) readResizes(channels.channel(RESIZE), resizes);
  const io: StreamIo = {
    stdin: opts.stdin ? channels.channel(STDIN) : undefined,
    stdout: opts.stdout ? channels.channel(STDOUT) : undefined,
    stderr: opts.stderr && !opts.tty ? channels.channel(STDERR) : undefined,
    tty: opts.tty,
    resizes,
    signal: ac.signal,
  };
  channels.send(io.stdout ? STDOUT : io.stderr ? STDERR : ERROR, Buffer.alloc(0));
  void runToStatus(protocol, run, io).then((status) => {
    if (status !== undefined) channels.send(ERROR, Buffer.from(status));
    log.debug('CRI streaming (websocket): command ended', { protocol, status });
    channels.close();
  });
}
