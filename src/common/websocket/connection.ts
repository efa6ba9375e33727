// A server-side WebSocket connection on an upgraded socket (after the handshake): whole
// messages out of fragments, pings answered, the close handshake, and a peer's breach of
// RFC 6455 answered with the close code it calls for — never an exception out of here.
// Reads pause with pause()/resume() so a slow consumer holds back the socket (TCP's
// backpressure), and send() reports a full socket as a stream's write() does.
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { whenDrained } from '../drain.ts';
import {
  CloseCode,
  closePayload,
  encodeFrame,
  type Frame,
  FrameParser,
  isValidCloseCode,
  Opcode,
  WsProtocolError,
} from './frames.ts';

export interface WebSocketOptions {
  /** The largest message (all its fragments) accepted; a larger one closes with 1009. */
  maxMessage?: number;
  /** Bytes that arrived with the upgrade request. */
  head?: Buffer;
}

const DEFAULT_MAX_MESSAGE = 16 << 20;
/** How long the peer has to answer our close frame before the socket is dropped. */
const CLOSE_GRACE_MS = 5000;

export class WebSocketConnection extends EventEmitter<{
  message: [data: Buffer, binary: boolean];
  close: [code: number, reason: string];
}> {
  private readonly socket: Duplex;
  private readonly parser: FrameParser;
  private readonly maxMessage: number;
  private fragments: Buffer[] = [];
  private fragmentsLength = 0;
  private fragmentOpcode = 0;
  private closeSent = false;
  private closed = false;

  constructor(socket: Duplex, opts: WebSocketOptions = {}) {
    super();
    this.socket = socket;
    this.maxMessage = opts.maxMessage ?? DEFAULT_MAX_MESSAGE;
    this.parser = new FrameParser({ maxPayload: this.maxMessage });
    socket.on('data', (b: Buffer) => this.input(b));
    socket.on('end', () => this.finish(CloseCode.GoingAway, 'connection ended without a close frame'));
    socket.on('close', () => this.finish(CloseCode.GoingAway, 'connection lost'));
    socket.on('error', () => this.finish(CloseCode.GoingAway, 'connection error'));
    if (opts.head?.length) queueMicrotask(() => this.input(opts.head!));
  }

  get isOpen(): boolean {
    return !this.closed && !this.closeSent;
  }

  /** Sends one message; false when the socket is full (wait with whenDrained). */
  send(data: Buffer, binary = true): boolean {
    if (!this.isOpen || this.socket.destroyed) return true;
    return this.socket.write(encodeFrame(binary ? Opcode.Binary : Opcode.Text, data));
  }

  whenDrained(cb: () => void): void {
    if (this.closed) cb();
    else whenDrained(this.socket, cb);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  /** Starts the close handshake: our close frame, then the peer's, then the socket ends. */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.closed || this.closeSent) return;
    this.closeSent = true;
    if (!this.socket.destroyed) this.socket.write(encodeFrame(Opcode.Close, closePayload(code, reason)));
    setTimeout(() => this.finish(code, reason), CLOSE_GRACE_MS).unref();
  }

  private input(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
      for (const f of frames) {
        if (this.closed) return;
        this.frame(f);
      }
    } catch (err) {
      const code = err instanceof WsProtocolError ? err.code : CloseCode.InternalError;
      this.fail(code, err instanceof Error ? err.message : String(err));
    }
  }

  private frame(f: Frame): void {
    switch (f.opcode) {
      case Opcode.Ping:
        if (!this.closeSent && !this.socket.destroyed) this.socket.write(encodeFrame(Opcode.Pong, f.payload));
        return;
      case Opcode.Pong:
        return;
      case Opcode.Close:
        this.peerClosed(f.payload);
        return;
      case Opcode.Continuation:
        if (!this.fragmentOpcode)
          throw new WsProtocolError(CloseCode.ProtocolError, 'continuation frame without a message');
        break;
      default:
        if (this.fragmentOpcode)
          throw new WsProtocolError(CloseCode.ProtocolError, 'new message before the fragmented one ended');
        this.fragmentOpcode = f.opcode;
    }
    this.fragmentsLength += f.payload.length;
    if (this.fragmentsLength > this.maxMessage)
      throw new WsProtocolError(CloseCode.TooBig, `message exceeds the limit of ${this.maxMessage} bytes`);
    this.fragments.push(f.payload);
    if (!f.fin) return;
    const binary = this.fragmentOpcode === Opcode.Binary;
    const data = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments, this.fragmentsLength);
    this.fragments = [];
    this.fragmentsLength = 0;
    this.fragmentOpcode = 0;
    if (!binary && !isUtf8(data)) throw new WsProtocolError(CloseCode.InvalidData, 'text message is not UTF-8');
    if (this.closeSent) return; // after our close frame, data is dropped (RFC 6455 §1.4)
    this.emit('message', data, binary);
  }

  private peerClosed(p: Buffer): void {
    let code: number = CloseCode.Normal;
    let reason = '';
    if (p.length === 1) throw new WsProtocolError(CloseCode.ProtocolError, 'close frame with a 1-byte payload');
    if (p.length >= 2) {
      code = p.readUInt16BE(0);
      if (!isValidCloseCode(code)) throw new WsProtocolError(CloseCode.ProtocolError, `invalid close code ${code}`);
      const r = p.subarray(2);
      if (!isUtf8(r)) throw new WsProtocolError(CloseCode.InvalidData, 'close reason is not UTF-8');
      reason = r.toString('utf8');
    }
    if (!this.closeSent && !this.socket.destroyed) {
      this.closeSent = true;
      this.socket.write(encodeFrame(Opcode.Close, p.length >= 2 ? closePayload(code) : Buffer.alloc(0)));
    }
    this.finish(code, reason);
  }

  /** A breach by the peer: our close frame with its code, and the connection is over. */
  private fail(code: number, reason: string): void {
    if (!this.closeSent && !this.socket.destroyed) {
      this.closeSent = true;
      this.socket.write(encodeFrame(Opcode.Close, closePayload(code, reason)));
    }
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.fragments = [];
    if (!this.socket.destroyed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    }
    this.emit('close', code, reason);
  }
}
