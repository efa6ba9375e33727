// The CRI's gRPC server: runtime.v1.RuntimeService and ImageService on a unix socket
// (0660, the API socket's group), each RPC dispatched to the backend, every error turned
// into a gRPC status by cri/errors.ts. Calls are cancelled when the client goes away.
// Each unary call's duration is logged at debug level (where a pod's start goes).
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Logger } from '../common/logger.ts';
import { messageOf } from '../common/errors.ts';
import type { ImageBackend, RuntimeBackend } from './backend.ts';
import { criServices } from './proto.ts';
import { grpcError } from './errors.ts';

export interface CriServerOptions {
  runtime: RuntimeBackend;
  images: ImageBackend;
  log: Logger;
  /** Group owning the socket; undefined keeps root's. */
  socketGid?: number;
}

type Handler = (req: unknown, ctx: { signal: AbortSignal; write?: (m: unknown) => void }) => Promise<unknown>;

function implement(def: ServiceDefinition, backend: object, log: Logger): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(def)) {
    const handler = (backend as Record<string, Handler | undefined>)[name]?.bind(backend);
    if (method.responseStream) {
      impl[name] = (call: ServerWritableStream<unknown, unknown>) => {
        if (!handler) {
          call.emit('error', { code: status.UNIMPLEMENTED, details: `${name} is not implemented by berthd` });
          return;
        }
        const ac = new AbortController();
        call.on('cancelled', () => ac.abort());
        call.on('close', () => ac.abort());
        handler(call.request, { signal: ac.signal, write: (m) => call.write(m) }).then(
          () => call.end(),
          (err) => {
            if (!ac.signal.aborted) call.emit('error', grpcError(err));
          },
        );
      };
    } else {
      impl[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        if (!handler) {
          callback({ code: status.UNIMPLEMENTED, details: `${name} is not implemented by berthd` });
          return;
        }
        const ac = new AbortController();
        call.on('cancelled', () => ac.abort());
        const t0 = performance.now();
        handler(call.request, { signal: ac.signal }).then(
          (res) => {
            log.debug('CRI call', { method: name, ms: Math.round((performance.now() - t0) * 10) / 10 });
            callback(null, res ?? {});
          },
          (err) => {
            const e = grpcError(err);
            if (e.code === status.INTERNAL) log.warn('CRI call failed', { method: name, err: messageOf(err) });
            else log.debug('CRI call refused', { method: name, err: messageOf(err) });
            callback(e);
          },
        );
      };
    }
  }
  return impl;
}

export class CriServer {
  private readonly server: Server;
  private readonly opts: CriServerOptions;

  constructor(opts: CriServerOptions) {
    this.opts = opts;
    // Images and CRI messages (ListContainers of a busy node) pass the default 4 MiB.
    this.server = new Server({
      'grpc.max_receive_message_length': 16 << 20,
      'grpc.max_send_message_length': 16 << 20,
    });
    const services = criServices();
    this.server.addService(services.runtime, implement(services.runtime, opts.runtime, opts.log));
    this.server.addService(services.image, implement(services.image, opts.images, opts.log));
  }

  /** Listens on a unix socket path (a stale socket file there is replaced). */
  async listen(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o711 });
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) =>
      this.server.bindAsync(`unix://${path}`, ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await chmod(path, 0o660);
    if (this.opts.socketGid !== undefined) await chown(path, 0, this.opts.socketGid);
  }

  /** Stops accepting calls; calls in flight get a short grace, then are cancelled. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
