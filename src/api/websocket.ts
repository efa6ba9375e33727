// The server side of RFC 6455 for /containers/{id}/attach/ws, on common/websocket's
// connection: the handshake is checked before anything is attached, then the upgraded
// socket becomes a Duplex whose writes leave as one message each (binary from API 1.28,
// text before, as dockerd) and whose reads are the payloads of the client's messages. A
// client that breaks the protocol gets the close frame its breach calls for.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../common/errors.ts';
import { WebSocketConnection } from '../common/websocket/connection.ts';
import { HandshakeError, handshakeResponse, parseHandshake } from '../common/websocket/handshake.ts';
import { messageStream } from '../common/websocket/message-stream.ts';

const MAX_MESSAGE = 16 << 20;

/** The client's Sec-WebSocket-Key once its handshake is one we can answer (400 if not). */
export function webSocketKey(req: IncomingMessage): string {
  try {
    return parseHandshake(req.method, req.headers).key;
  } catch (err) {
    if (err instanceof HandshakeError) throw invalidArgument(err.message);
    throw err;
  }
}

/** Answers the handshake on `socket` (already upgraded) and returns the message stream. */
export function acceptWebSocket(socket: Duplex, head: Buffer, key: string, binary: boolean): Duplex {
  socket.write(handshakeResponse(key));
  return messageStream(new WebSocketConnection(socket, { head, maxMessage: MAX_MESSAGE }), {
    binary,
    acceptText: true,
  });
}
