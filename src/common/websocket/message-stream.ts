// A byte stream carried in a WebSocket's messages: each write leaves as one message, each
// message's payload is read in order, message boundaries mean nothing. Kubernetes tunnels
// SPDY this way (client-go's TunnelingConnection: binary only); the Docker API's
// /attach/ws reads text and binary messages alike. The stream ends when the connection
// closes, and ending the stream starts the close handshake.
import { Duplex } from 'node:stream';
import type { WebSocketConnection } from './connection.ts';

export interface MessageStreamOptions {
  /** Writes leave as binary messages (the default) or as text ones. */
  binary?: boolean;
  /** Text messages are read like binary ones; otherwise one closes the connection with 1003. */
  acceptText?: boolean;
}

export function messageStream(conn: WebSocketConnection, opts: MessageStreamOptions = {}): Duplex {
  const binary = opts.binary ?? true;
  const d = new Duplex({
    allowHalfOpen: false,
    read() {
      conn.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (conn.send(chunk, binary)) cb();
      else conn.whenDrained(() => cb());
    },
    final(cb) {
      conn.close();
      cb();
    },
    destroy(err, cb) {
      conn.close();
      cb(err);
    },
  });
  conn.on('message', (data, isBinary) => {
    if (!isBinary && !opts.acceptText) {
      // The tunnel is binary only (client-go fails on anything else).
      conn.close(1003, 'text message in a binary tunnel');
      return;
    }
    if (!d.push(data)) conn.pause();
  });
  // Once read to its end the Duplex closes itself (allowHalfOpen false, autoDestroy).
  conn.once('close', () => d.push(null));
  return d;
}
