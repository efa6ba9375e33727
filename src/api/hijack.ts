// Takes over the connection for attach/exec streams. With `Upgrade: tcp` (what current
// docker CLIs send) we answer 101; without it, the older hijack answers 200 and then
// streams raw on the same socket.
import type { Duplex } from 'node:stream';
import type { RequestContext } from './router.ts';
import { versionAtLeast } from '../common/api-version.ts';

export function streamContentType(ctx: RequestContext, tty: boolean): string {
  return !tty && versionAtLeast(ctx.version, '1.42')
    ? 'application/vnd.docker.multiplexed-stream'
    : 'application/vnd.docker.raw-stream';
}

export function hijack(ctx: RequestContext, contentType: string): Duplex {
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    if (head.length > 0) socket.unshift(head);
    return socket;
  }
  const socket = ctx.req.socket;
  // Detach the socket from the HTTP machinery before writing raw bytes on it.
  ctx.res.detachSocket(socket);
  socket.removeAllListeners('data');
  // The HTTP server ends the socket when the client half-closes; stdin EOF must not.
  socket.removeAllListeners('end');
  socket.removeAllListeners('timeout');
  socket.setTimeout(0);
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
  socket.resume();
  return socket;
}
