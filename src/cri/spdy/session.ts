// A server-side SPDY/3.1 session on an upgraded connection, as Kubernetes' streaming clients
// use it (moby/spdystream): the client opens every stream with SYN_STREAM and typed headers,
// the server answers SYN_REPLY, both half-close with FIN, RST_STREAM cancels. Each stream is
// a Duplex. Like spdystream, no SPDY flow-control window is kept: TCP's backpressure is the
// flow control (a full stream pauses the socket until it is read).
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { whenDrained } from '../../common/drain.ts';
import {
  dataFrame,
  decodeHeaders,
  encodeHeaders,
  FLAG_FIN,
  type Frame,
  FrameParser,
  FrameType,
  goAwayFrame,
  HeaderWriter,
  pingFrame,
  RstStatus,
  rstStreamFrame,
  synReplyFrame,
} from './frames.ts';
import { HeaderReader } from './header-reader.ts';

/** DATA frames we send stay this small, so streams interleave. */
const MAX_DATA = 32 << 10;

export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: Record<string, string[]>;
  private readonly session: SpdySession;
  private replied = false;

  constructor(session: SpdySession, id: number, headers: Record<string, string[]>) {
    super({ allowHalfOpen: true });
    this.session = session;
    this.id = id;
    this.headers = headers;
  }

  /** The first value of a header (names are lower-case). */
  header(name: string): string {
    return this.headers[name.toLowerCase()]?.[0] ?? '';
  }

  /** Accepts the stream (SYN_REPLY); data may flow only after it. */
  reply(): void {
    if (this.replied || this.destroyed) return;
    this.replied = true;
    this.session.send(synReplyFrame(this.id, this.session.headerBlock({}), false));
  }

  /** Refuses or cancels the stream (RST_STREAM). */
  reset(status: number = RstStatus.Cancel): void {
    if (!this.destroyed) this.session.send(rstStreamFrame(this.id, status));
    this.destroy();
  }

  override _read(): void {
    this.session.resumeInput();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.reply();
    let ok = true;
    for (let off = 0; off < chunk.length; off += MAX_DATA)
      ok = this.session.send(dataFrame(this.id, chunk.subarray(off, off + MAX_DATA), false)) && ok;
    if (ok) cb();
    else this.session.whenDrained(cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.reply();
    this.session.send(dataFrame(this.id, Buffer.alloc(0), true));
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.session.forget(this.id);
    cb(err);
  }

  /** Input from the peer (the session calls these). */
  deliver(data: Buffer, fin: boolean): void {
    if (this.readableEnded || this.destroyed) return;
    if (data.length && !this.push(data)) this.session.pauseInput();
    if (fin) this.push(null);
  }
}

/**
 * Events: 'stream' (SpdyStream) for each stream the client opens, once its headers are read;
 * 'close' when the connection is gone (every stream is destroyed with it).
 */
export class SpdySession extends EventEmitter {
  private readonly socket: Duplex;
  private readonly parser = new FrameParser();
  private readonly headersIn = new HeaderReader();
  private readonly headersOut = new HeaderWriter();
  private readonly streams = new Map<number, SpdyStream>();
  private lastStreamId = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  /** `socket`: the upgraded TCP connection, or a byte stream tunnelled in a WebSocket. */
  constructor(socket: Duplex, head?: Buffer) {
    super();
    this.socket = socket;
    socket.on('data', (b: Buffer) => this.input(b));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    if (head?.length) this.input(head);
  }

  private input(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.feed(chunk);
    } catch {
      this.close();
      return;
    }
    // Frames are handled in order; a SYN_STREAM's headers decompress asynchronously.
    for (const f of frames) this.queue = this.queue.then(() => this.handle(f)).catch(() => this.close());
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (f.kind === 'data') {
      const s = this.streams.get(f.streamId);
      if (s) s.deliver(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    const p = f.payload;
    switch (f.type) {
      case FrameType.SynStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaders(await this.headersIn.decompress(p.subarray(10)));
        if (this.closed) return;
        if (id <= this.lastStreamId || id % 2 === 0) {
          this.send(rstStreamFrame(id, RstStatus.ProtocolError));
          return;
        }
        this.lastStreamId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        if (f.flags & FLAG_FIN) s.deliver(Buffer.alloc(0), true);
        this.emit('stream', s);
        return;
      }
      case FrameType.RstStream:
        this.streams.get(p.readUInt32BE(0) & 0x7fffffff)?.destroy();
        return;
      case FrameType.Ping:
        this.send(pingFrame(p.readUInt32BE(0)));
        return;
      case FrameType.GoAway:
        this.close();
        return;
      case FrameType.Headers:
        // Trailing headers carry nothing the streaming protocols use; consume the block
        // so the shared decompression context stays in step.
        await this.headersIn.decompress(p.subarray(4));
        if (f.flags & FLAG_FIN) this.streams.get(p.readUInt32BE(0) & 0x7fffffff)?.deliver(Buffer.alloc(0), true);
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: no flow-control window is kept (see above).
        return;
    }
  }

  headerBlock(headers: Record<string, string | string[]>): Buffer {
    return this.headersOut.compress(encodeHeaders(headers));
  }

  send(frame: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(frame);
  }

  whenDrained(cb: () => void): void {
    if (this.closed) cb();
    else whenDrained(this.socket, cb);
  }

  pauseInput(): void {
    this.socket.pause();
  }

  resumeInput(): void {
    if (!this.closed) this.socket.resume();
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  /** GOAWAY, then the connection ends after what was written; every stream is destroyed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) {
      this.socket.write(goAwayFrame(this.lastStreamId));
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 5000).unref();
    }
    for (const s of [...this.streams.values()]) s.destroy();
    this.headersIn.close();
    this.emit('close');
  }
}
