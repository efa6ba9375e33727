// Takes over the connection for attach/exec streams. With `Upgrade: tcp` (what current
// docker CLIs send) we answer 101; without it, the older hijack answers 200 and then
// streams raw on the same socket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestContext } from './router.ts';
import { versionAtLeast } from '../common/api-version.ts';
import { invalidArgument } from '../common/errors.ts';

/** The largest JSON body of a hijacked request (exec start, attach). */
const MAX_UPGRADE_BODY = 1 << 20;

export function upgradeBodyLength(req: IncomingMessage): number {
  const len = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(len) || len < 0 || len > MAX_UPGRADE_BODY) throw invalidArgument('invalid Content-Length');
  return len;
}

/**
 * A request that asked to upgrade is handed over before Node reads its body: its
 * Content-Length bytes are the first ones after the head. Returns the head extended to
 * hold at least them (more may follow: the stream's first bytes).
 */
export async function readUpgradeBody(socket: Duplex, head: Buffer, len: number, deadlineMs = 60_000): Promise<Buffer> {
  if (head.length >= len) return head;
  return new Promise<Buffer>((resolve, reject) => {
    let buf = head;
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(invalidArgument('request body not received in time'));
    }, deadlineMs);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length < len) return;
      cleanup();
      resolve(buf);
    };
    const onEnd = () => {
      cleanup();
      reject(invalidArgument('request body ended early'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

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
