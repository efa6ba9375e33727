// ttrpc client (containerd's lightweight gRPC over a unix socket), unary calls only.
//
// Wire format (github.com/containerd/ttrpc channel.go, request.proto): every message is a
// 10-byte header — length u32 BE (payload only), stream id u32 BE, type u8 (1 request,
// 2 response, 3 data), flags u8 — followed by a protobuf Request or Response. Clients use
// odd stream ids counting up; one connection carries any number of concurrent calls.
//
// Lifecycle: connect() → call()* → close(). When the peer goes away every pending call
// fails with an `unavailable` error and the onClose callbacks run once: that is how a dead
// shim is noticed. A client is never reconnected; make a new one.
import net from 'node:net';
import { BerthError, internal, invalidArgument, unavailable } from '../common/errors.ts';
import type { ErrorKind } from '../common/errors.ts';
import { AnyCodec, message } from './protobuf.ts';
import type { Any } from './protobuf.ts';

export const MESSAGE_HEADER_LENGTH = 10;
export const MESSAGE_LENGTH_MAX = 4 << 20;
export const MESSAGE_TYPE_REQUEST = 1;
export const MESSAGE_TYPE_RESPONSE = 2;

export interface KeyValue {
  key: string;
  value: string;
}
export const KeyValueCodec = message<KeyValue>('ttrpc.KeyValue', {
  key: { no: 1, type: 'string' },
  value: { no: 2, type: 'string' },
});

export interface Request {
  service: string;
  method: string;
  payload: Uint8Array;
  timeoutNano: number;
  metadata: KeyValue[];
}
export const RequestCodec = message<Request>('ttrpc.Request', {
  service: { no: 1, type: 'string' },
  method: { no: 2, type: 'string' },
  payload: { no: 3, type: 'bytes' },
  timeoutNano: { no: 4, type: 'int64' },
  metadata: { no: 5, type: KeyValueCodec, repeated: true },
});

export interface Status {
  code: number;
  message: string;
  details: Any[];
}
export const StatusCodec = message<Status>('google.rpc.Status', {
  code: { no: 1, type: 'int32' },
  message: { no: 2, type: 'string' },
  details: { no: 3, type: AnyCodec, repeated: true },
});

export interface Response {
  status: Status | undefined;
  payload: Uint8Array;
}
export const ResponseCodec = message<Response>('ttrpc.Response', {
  status: { no: 1, type: StatusCodec },
  payload: { no: 2, type: 'bytes' },
});

/** google.golang.org/grpc/codes */
export const GrpcCode = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;

export function kindOfGrpcCode(code: number): ErrorKind {
  switch (code) {
    case GrpcCode.NotFound:
      return 'not-found';
    case GrpcCode.AlreadyExists:
    case GrpcCode.FailedPrecondition:
      return 'conflict';
    case GrpcCode.InvalidArgument:
      return 'invalid-argument';
    case GrpcCode.Unimplemented:
      return 'not-implemented';
    case GrpcCode.Unavailable:
      return 'unavailable';
    default:
      return 'internal';
  }
}

/** A non-OK status returned by the server; `grpcCode` keeps the original code. */
export class TtrpcStatusError extends BerthError {
  readonly grpcCode: number;
  readonly method: string;
  constructor(code: number, msg: string, method: string) {
    super(kindOfGrpcCode(code), msg);
    this.grpcCode = code;
    this.method = method;
    this.name = 'TtrpcStatusError';
  }
}

export interface CallOptions {
  /** Client-side deadline; also sent to the server as timeout_nano. */
  timeoutMs?: number;
  signal?: AbortSignal;
  metadata?: Record<string, string>;
}

export interface ConnectOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Deadline applied to calls that do not pass their own. */
  defaultCallTimeoutMs?: number;
}

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  body: Uint8Array;
}

export function encodeFrame(streamId: number, type: number, body: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(MESSAGE_HEADER_LENGTH + body.length);
  out.writeUInt32BE(body.length, 0);
  out.writeUInt32BE(streamId, 4);
  out.writeUInt8(type, 8);
  out.writeUInt8(flags, 9);
  out.set(body, MESSAGE_HEADER_LENGTH);
  return out;
}

/** Splits a byte stream into frames; messages above the maximum are skipped and reported. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private discard = 0; // bytes of an oversized message still to skip
  private readonly onFrame: (f: Frame) => void;
  private readonly onOversize: (streamId: number, length: number) => void;
  private readonly max: number;

  constructor(
    onFrame: (f: Frame) => void,
    onOversize: (streamId: number, length: number) => void,
    max = MESSAGE_LENGTH_MAX,
  ) {
    this.onFrame = onFrame;
    this.onOversize = onOversize;
    this.max = max;
  }

  push(chunk: Buffer): void {
    if (this.discard > 0) {
      const n = Math.min(this.discard, chunk.length);
      this.discard -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= MESSAGE_HEADER_LENGTH) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [all];
      const length = all.readUInt32BE(0);
      const streamId = all.readUInt32BE(4);
      const type = all.readUInt8(8);
      const flags = all.readUInt8(9);
      if (length > this.max) {
        const rest = all.subarray(MESSAGE_HEADER_LENGTH);
        const skip = Math.min(length, rest.length);
        this.discard = length - skip;
        this.setBuffer(rest.subarray(skip));
        this.onOversize(streamId, length);
        continue;
      }
      if (this.buffered < MESSAGE_HEADER_LENGTH + length) break;
      const body = new Uint8Array(all.subarray(MESSAGE_HEADER_LENGTH, MESSAGE_HEADER_LENGTH + length));
      this.setBuffer(all.subarray(MESSAGE_HEADER_LENGTH + length));
      this.onFrame({ streamId, type, flags, body });
    }
  }

  private setBuffer(rest: Buffer): void {
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
  }
}

interface Pending {
  resolve(payload: Uint8Array): void;
  reject(err: unknown): void;
}

export class TtrpcClient {
  private readonly socket: net.Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly closeCallbacks = new Set<(err?: Error) => void>();
  private nextStreamId = 1;
  private readonly decoder = new FrameDecoder(
    (f) => this.onFrame(f),
    (id, len) => this.onOversize(id, len),
  );
  private closedErr: Error | undefined;
  private readonly defaultTimeoutMs: number | undefined;
  readonly path: string;

  /** Dials a unix socket. Fails with `unavailable` when nobody listens there. */
  static connect(path: string, opts: ConnectOptions = {}): Promise<TtrpcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path });
      let timer: NodeJS.Timeout | undefined;
      const fail = (err: unknown) => {
        cleanup();
        socket.destroy();
        reject(err instanceof BerthError ? err : unavailable(`ttrpc: connect ${path}: ${(err as Error).message}`, err));
      };
      const onAbort = () => fail(opts.signal?.reason ?? new Error('aborted'));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        socket.off('error', fail);
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs)
        timer = setTimeout(() => fail(unavailable(`ttrpc: connect ${path}: timed out`)), opts.timeoutMs);
      socket.once('error', fail);
      socket.once('connect', () => {
        cleanup();
        resolve(new TtrpcClient(socket, path, opts.defaultCallTimeoutMs));
      });
    });
  }

  constructor(socket: net.Socket, path = '', defaultTimeoutMs?: number) {
    this.socket = socket;
    this.path = path;
    this.defaultTimeoutMs = defaultTimeoutMs;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(err));
    socket.on('close', () => this.shutdown());
  }

  get closed(): boolean {
    return this.closedErr !== undefined;
  }

  /** Runs once when the connection ends for any reason (peer died, close()). Returns an unsubscribe. */
  onClose(cb: (err?: Error) => void): () => void {
    if (this.closedErr) {
      queueMicrotask(() => cb(this.closedErr));
      return () => {};
    }
    this.closeCallbacks.add(cb);
    return () => this.closeCallbacks.delete(cb);
  }

  /** Closes the connection; pending calls fail with `unavailable`. */
  close(): void {
    this.socket.destroy();
    this.shutdown();
  }

  /** One unary call; resolves with the response payload bytes. */
  call(service: string, method: string, payload: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array> {
    const name = `${service}/${method}`;
    if (this.closedErr) return Promise.reject(unavailable(`ttrpc: ${name}: connection closed`, this.closedErr));
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const req = RequestCodec.encode({
      service,
      method,
      payload,
      timeoutNano: timeoutMs ? timeoutMs * 1_000_000 : 0,
      metadata: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
    if (req.length > MESSAGE_LENGTH_MAX) {
      return Promise.reject(
        invalidArgument(`ttrpc: ${name}: message length ${req.length} exceeds maximum ${MESSAGE_LENGTH_MAX}`),
      );
    }
    const streamId = this.nextStreamId;
    this.nextStreamId += 2;
    if (this.nextStreamId > 0xffffffff) this.nextStreamId = 1; // 2^31 calls on one connection

    return new Promise<Uint8Array>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => settle(() => reject(opts.signal?.reason));
      const settle = (fn: () => void) => {
        if (!this.pending.delete(streamId)) return;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      this.pending.set(streamId, {
        resolve: (p) => settle(() => resolve(p)),
        reject: (e) => settle(() => reject(e)),
      });
      if (timeoutMs) {
        timer = setTimeout(
          () => settle(() => reject(unavailable(`ttrpc: ${name}: timed out after ${timeoutMs}ms`))),
          timeoutMs,
        );
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      this.socket.write(encodeFrame(streamId, MESSAGE_TYPE_REQUEST, req));
    }).then((raw) => {
      const res = ResponseCodec.decode(raw);
      if (res.status && res.status.code !== GrpcCode.OK)
        throw new TtrpcStatusError(res.status.code, res.status.message, name);
      return res.payload;
    });
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  private onFrame(f: Frame): void {
    if (f.type !== MESSAGE_TYPE_RESPONSE) return; // data frames belong to streaming calls we never make
    this.pending.get(f.streamId)?.resolve(f.body);
  }

  private onOversize(streamId: number, length: number): void {
    // Skipped by the decoder; fail only that call, as ttrpc's own client does.
    this.pending
      .get(streamId)
      ?.reject(internal(`ttrpc: message length ${length} exceeds maximum ${MESSAGE_LENGTH_MAX}`));
  }

  private shutdown(err?: Error): void {
    if (this.closedErr) return;
    this.closedErr = err ?? new Error('connection closed');
    this.socket.destroy();
    const failure = unavailable(
      `ttrpc: connection to ${this.path || 'peer'} closed${err ? `: ${err.message}` : ''}`,
      err,
    );
    for (const p of [...this.pending.values()]) p.reject(failure);
    this.pending.clear();
    for (const cb of this.closeCallbacks) {
      try {
        cb(err);
      } catch {
        // a listener's failure must not stop the others
      }
    }
    this.closeCallbacks.clear();
  }
}
