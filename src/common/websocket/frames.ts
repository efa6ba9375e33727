// RFC 6455 framing, the server's side: frames we send are unmasked and whole; frames a
// client sends are parsed incrementally and checked as the RFC requires (masked, no
// reserved bits without an extension, known opcodes, control frames unfragmented and at
// most 125 bytes, a length within our limit) — a breach is a WsProtocolError carrying the
// close code to answer with, raised as soon as the header shows it (before its payload).
import { createHash } from 'node:crypto';

export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  InvalidData: 1007,
  PolicyViolation: 1008,
  TooBig: 1009,
  InternalError: 1011,
} as const;

export class WsProtocolError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'WsProtocolError';
    this.code = code;
  }
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept answer to a client's Sec-WebSocket-Key (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** One unmasked server frame. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headLen + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(out, headLen);
  return out;
}

/** A close frame's payload: the code, then a UTF-8 reason cut to fit 125 bytes. */
export function closePayload(code: number, reason = ''): Buffer {
  const r = Buffer.from(reason, 'utf8');
  const b = Buffer.allocUnsafe(2 + Math.min(r.length, 123));
  b.writeUInt16BE(code, 0);
  r.copy(b, 2, 0, 123);
  return b;
}

/** Codes a peer may send in a close frame (RFC 6455 §7.4.1, §7.4.2). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export interface FrameParserOptions {
  /** The largest payload one frame may carry. */
  maxPayload: number;
  /** Client frames must be masked (RFC 6455 §5.1); a test's server-side reader may not. */
  requireMask?: boolean;
}

const KNOWN = new Set<number>(Object.values(Opcode));

/** Incremental decoder: bytes in, whole frames out, in order. */
export class FrameParser {
  private readonly opts: Required<FrameParserOptions>;
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(opts: FrameParserOptions) {
    this.opts = { requireMask: true, ...opts };
  }

  push(chunk: Buffer): Frame[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Frame[] = [];
    for (;;) {
      const f = this.next();
      if (!f) return out;
      out.push(f);
    }
  }

  /** The first n buffered bytes as one buffer (n ≤ buffered), merging only what it needs. */
  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const merged = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [merged];
    return merged;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const head = this.peek(n);
    const out = head.subarray(0, n);
    if (head.length === n) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.buffered -= n;
    return out;
  }

  private next(): Frame | undefined {
    if (this.buffered < 2) return undefined;
    let h = this.peek(2);
    const b0 = h[0];
    const b1 = h[1];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (b0 & 0x70)
      throw new WsProtocolError(CloseCode.ProtocolError, 'reserved bits set without a negotiated extension');
    if (!KNOWN.has(opcode)) throw new WsProtocolError(CloseCode.ProtocolError, `unknown opcode ${opcode}`);
    const masked = (b1 & 0x80) !== 0;
    if (!masked && this.opts.requireMask) throw new WsProtocolError(CloseCode.ProtocolError, 'client frame not masked');
    const control = opcode >= 0x8;
    let len = b1 & 0x7f;
    if (control && !fin) throw new WsProtocolError(CloseCode.ProtocolError, 'fragmented control frame');
    if (control && len > 125) throw new WsProtocolError(CloseCode.ProtocolError, 'control frame longer than 125 bytes');
    let headLen = 2;
    if (len === 126) {
      if (this.buffered < 4) return undefined;
      h = this.peek(4);
      len = h.readUInt16BE(2);
      headLen = 4;
    } else if (len === 127) {
      if (this.buffered < 10) return undefined;
      h = this.peek(10);
      const big = h.readBigUInt64BE(2);
      if (big >> 63n)
        throw new WsProtocolError(CloseCode.ProtocolError, 'frame length has its most significant bit set');
      if (big > BigInt(this.opts.maxPayload))
        throw new WsProtocolError(
          CloseCode.TooBig,
          `frame of ${big} bytes exceeds the limit of ${this.opts.maxPayload}`,
        );
      len = Number(big);
      headLen = 10;
    }
    if (len > this.opts.maxPayload)
      throw new WsProtocolError(CloseCode.TooBig, `frame of ${len} bytes exceeds the limit of ${this.opts.maxPayload}`);
    const maskLen = masked ? 4 : 0;
    if (this.buffered < headLen + maskLen + len) return undefined;
    const head = this.take(headLen + maskLen);
    const payload = Buffer.from(this.take(len)); // a copy: unmasking writes to it
    if (masked) {
      const m = head.subarray(headLen, headLen + 4);
      for (let i = 0; i < payload.length; i++) payload[i] ^= m[i & 3];
    }
    return { fin, opcode, payload };
  }
}
