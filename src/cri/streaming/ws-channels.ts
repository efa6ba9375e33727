// Kubernetes' channel protocol over a WebSocket (channel.k8s.io): every message starts with
// its channel's number and carries that channel's bytes; the base64 variants send text
// messages whose first character is the number in ASCII ('0' + n) and whose rest is base64.
// From v5.channel.k8s.io the client half-closes a channel with [255, n]. Each channel is a
// Duplex: writes leave as messages; reads are what the client sent on it, if it may send
// on it at all (others' messages are dropped, as kubelet's wsstream does).
import { Duplex } from 'node:stream';
import type { WebSocketConnection } from '../../common/websocket/connection.ts';
import { CloseCode } from '../../common/websocket/frames.ts';

const STREAM_CLOSE = 255;

export interface ChannelOptions {
  base64: boolean;
  /** v5: the client may half-close a channel. */
  streamClose: boolean;
  /** The channels the client writes to. */
  readable: number[];
}

export class Channel extends Duplex {
  readonly num: number;
  private readonly owner: ChannelConnection;

  constructor(owner: ChannelConnection, num: number) {
    super({ allowHalfOpen: true });
    this.owner = owner;
    this.num = num;
  }

  override _read(): void {
    this.owner.conn.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.owner.send(this.num, chunk)) cb();
    else this.owner.conn.whenDrained(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    // The protocol has no server-side half-close: the connection's close ends every channel.
    cb();
  }
}

export class ChannelConnection {
  readonly conn: WebSocketConnection;
  private readonly opts: ChannelOptions;
  private readonly channels = new Map<number, Channel>();
  /** Channels whose reading side has ended (pushing to them again would throw). */
  private readonly ended = new Set<number>();

  constructor(conn: WebSocketConnection, opts: ChannelOptions) {
    this.conn = conn;
    this.opts = opts;
    conn.on('message', (data, binary) => this.message(data, binary));
    conn.once('close', () => {
      for (const c of this.channels.values()) {
        this.endReading(c);
        if (!c.writableEnded) c.end();
      }
    });
  }

  channel(num: number): Channel {
    let c = this.channels.get(num);
    if (!c) {
      c = new Channel(this, num);
      this.channels.set(num, c);
      if (!this.opts.readable.includes(num)) this.endReading(c);
    }
    return c;
  }

  /** One message on a channel (an empty one is how kubelet says "connected"). */
  send(num: number, data: Buffer): boolean {
    if (this.opts.base64)
      return this.conn.send(Buffer.from(String.fromCharCode(48 + num) + data.toString('base64')), false);
    const frame = Buffer.allocUnsafe(data.length + 1);
    frame[0] = num;
    data.copy(frame, 1);
    return this.conn.send(frame);
  }

  close(): void {
    this.conn.close(CloseCode.Normal);
  }

  private message(data: Buffer, binary: boolean): void {
    if (!data.length) return;
    if (this.opts.streamClose && binary && data[0] === STREAM_CLOSE) {
      if (data.length !== 2) {
        this.conn.close(CloseCode.ProtocolError, 'a stream close signal names exactly one channel');
        return;
      }
      const c = this.channels.get(data[1]);
      if (c) this.endReading(c);
      return;
    }
    let num = data[0];
    let payload = data.subarray(1);
    if (this.opts.base64) {
      num -= 48;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    const c = this.channels.get(num);
    if (!c || this.ended.has(num)) return;
    if (payload.length && !c.push(payload)) this.conn.pause();
  }

  private endReading(c: Channel): void {
    if (this.ended.has(c.num)) return;
    this.ended.add(c.num);
    c.push(null);
  }
}
