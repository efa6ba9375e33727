// A minimal ttrpc server for containerd.services.events.ttrpc.v1.Events/Forward, listening
// at the shims' TTRPC_ADDRESS.
//
// Why it exists: a 1.6 shim's event publisher dials TTRPC_ADDRESS with a 5 s retrying
// dialer. With nothing listening every event costs 5 s, is retried 5 more times, and the
// shim's single forwarding loop falls behind; its 128-event queue then fills (an exec-heavy
// container or health checks get there in about a minute) and every Task API call that
// emits an event blocks. Acknowledging Forward keeps the shims responsive. Events are
// handed to `onEvent` (decoded TaskExit, or raw) but berth does not depend on them: exit
// codes are reconciled through Wait/State/Delete.
//
// Lifecycle: listen() → close(). A stale socket file left by a crashed berthd is replaced.
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../common/logger.ts';
import { AnyCodec, EmptyCodec, TimestampCodec, dateFromTimestamp, message } from './protobuf.ts';
import type { Any, Timestamp } from './protobuf.ts';
import {
  FrameDecoder,
  GrpcCode,
  MESSAGE_TYPE_REQUEST,
  MESSAGE_TYPE_RESPONSE,
  RequestCodec,
  ResponseCodec,
  encodeFrame,
} from './ttrpc.ts';

export const EVENTS_SERVICE = 'containerd.services.events.ttrpc.v1.Events';

interface EnvelopeMsg {
  timestamp: Timestamp | undefined;
  namespace: string;
  topic: string;
  event: Any | undefined;
}
const Envelope = message<EnvelopeMsg>('containerd.services.events.ttrpc.v1.Envelope', {
  timestamp: { no: 1, type: TimestampCodec },
  namespace: { no: 2, type: 'string' },
  topic: { no: 3, type: 'string' },
  event: { no: 4, type: AnyCodec },
});
const ForwardRequest = message<{ envelope: EnvelopeMsg | undefined }>('ForwardRequest', {
  envelope: { no: 1, type: Envelope },
});

interface TaskExitMsg {
  containerId: string;
  id: string;
  pid: number;
  exitStatus: number;
  exitedAt: Timestamp | undefined;
}
const TaskExitCodec = message<TaskExitMsg>('containerd.events.TaskExit', {
  containerId: { no: 1, type: 'string' },
  id: { no: 2, type: 'string' },
  pid: { no: 3, type: 'uint32' },
  exitStatus: { no: 4, type: 'uint32' },
  exitedAt: { no: 5, type: TimestampCodec },
});

const TaskOOMCodec = message<{ containerId: string }>('containerd.events.TaskOOM', {
  containerId: { no: 1, type: 'string' },
});

export interface ShimEvent {
  namespace: string;
  /** e.g. /tasks/exit, /tasks/create, /tasks/start, /tasks/delete, /tasks/exec-added */
  topic: string;
  timestamp: Date | undefined;
  event: Any | undefined;
  /** Set for /tasks/exit. */
  exit?: { containerId: string; execId: string; pid: number; exitStatus: number; exitedAt: Date | undefined };
  /** Set for /tasks/oom: the kernel's OOM killer acted in the container's cgroup. */
  oom?: { containerId: string };
}

export interface EventsServer {
  readonly path: string;
  close(): Promise<void>;
}

export function decodeEnvelope(payload: Uint8Array): ShimEvent | undefined {
  const env = ForwardRequest.decode(payload).envelope;
  if (!env) return undefined;
  const ev: ShimEvent = {
    namespace: env.namespace,
    topic: env.topic,
    timestamp: dateFromTimestamp(env.timestamp),
    event: env.event,
  };
  if (env.topic === '/tasks/exit' && env.event) {
    const x = TaskExitCodec.decode(env.event.value);
    ev.exit = {
      containerId: x.containerId,
      execId: x.id,
      pid: x.pid,
      exitStatus: x.exitStatus,
      exitedAt: dateFromTimestamp(x.exitedAt),
    };
  }
  if (env.topic === '/tasks/oom' && env.event)
    ev.oom = { containerId: TaskOOMCodec.decode(env.event.value).containerId };
  return ev;
}

function serveConn(sock: net.Socket, onEvent: (e: ShimEvent) => void, log: Logger): void {
  const reply = (streamId: number, code: number, msg: string, payload?: Uint8Array) => {
    const body = ResponseCodec.encode(
      code === GrpcCode.OK
        ? { payload: payload ?? new Uint8Array(0) }
        : { status: { code, message: msg, details: [] } },
    );
    sock.write(encodeFrame(streamId, MESSAGE_TYPE_RESPONSE, body));
  };
  const decoder = new FrameDecoder(
    (f) => {
      if (f.type !== MESSAGE_TYPE_REQUEST) return;
      let req;
      try {
        req = RequestCodec.decode(f.body);
      } catch (err) {
        reply(f.streamId, GrpcCode.InvalidArgument, (err as Error).message);
        return;
      }
      if (req.service !== EVENTS_SERVICE || req.method !== 'Forward') {
        reply(f.streamId, GrpcCode.Unimplemented, `${req.service}/${req.method} not implemented`);
        return;
      }
      reply(f.streamId, GrpcCode.OK, '', EmptyCodec.encode({}));
      try {
        const ev = decodeEnvelope(req.payload);
        if (ev) onEvent(ev);
      } catch (err) {
        log.debug('undecodable shim event', { error: (err as Error).message });
      }
    },
    (streamId) => reply(streamId, GrpcCode.ResourceExhausted, 'message too large'),
  );
  sock.on('data', (b: Buffer) => decoder.push(b));
  sock.on('error', () => sock.destroy());
}

/** Listens on `path` (a unix socket; a stale file there is removed first). */
export async function listenEvents(
  path: string,
  opts: { log: Logger; onEvent?: (e: ShimEvent) => void },
): Promise<EventsServer> {
  await fsp.mkdir(dirname(path), { recursive: true });
  await fsp.rm(path, { force: true });
  const conns = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    serveConn(sock, opts.onEvent ?? (() => {}), opts.log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fsp.chmod(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
      }),
  };
}
