// A byte stream carried in a WebSocket's binary messages, as Kubernetes tunnels SPDY inside
// WebSocket (client-go's TunnelingConnection): each write leaves as one message, each
// message's payload is read in order, message boundaries mean nothing. The stream ends
// when the connection closes.
import { Duplex } from 'node:stream';
import type { WebSocketConnection } from './connection.ts';

export function messageStream(conn: WebSocketConnection): Duplex {
  const d = new Duplex({
    allowHalfOpen: false,
    read() {
      conn.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (conn.send(chunk)) cb();
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
  conn.on('message', (data, binary) => {
    if (!binary) {
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
