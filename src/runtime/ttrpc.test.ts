import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FrameDecoder,
  GrpcCode,
  MESSAGE_LENGTH_MAX,
  MESSAGE_TYPE_RESPONSE,
  RequestCodec,
  ResponseCodec,
  TtrpcClient,
  TtrpcStatusError,
  encodeFrame,
} from './ttrpc.ts';
import type { Frame, Request } from './ttrpc.ts';
import { listenEvents, EVENTS_SERVICE } from './events.ts';
import { silentLogger } from '../common/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-ttrpc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

type Handler = (req: Request, frame: Frame, sock: net.Socket) => void;

/** A fake ttrpc server; the handler answers (or not) with reply(). */
async function fakeServer(
  handler: Handler,
): Promise<{ path: string; server: net.Server; seen: Frame[]; conns: net.Socket[] }> {
  const path = join(dir, `s${n++}.sock`);
  const seen: Frame[] = [];
  const conns: net.Socket[] = [];
  const server = net.createServer((sock) => {
    conns.push(sock);
    const dec = new FrameDecoder(
      (f) => {
        seen.push(f);
        handler(RequestCodec.decode(f.body), f, sock);
      },
      () => {},
    );
    sock.on('data', (b: Buffer) => dec.push(b));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server, seen, conns };
}

function reply(
  sock: net.Socket,
  streamId: number,
  payload: Uint8Array,
  status?: { code: number; message: string },
): void {
  const body = ResponseCodec.encode(status ? { status: { ...status, details: [] } } : { payload });
  sock.write(encodeFrame(streamId, MESSAGE_TYPE_RESPONSE, body));
}

test('concurrent calls on one connection, answered out of order, odd stream ids', async () => {
  const pending: [Request, Frame, net.Socket][] = [];
  const srv = await fakeServer((req, f, sock) => {
    pending.push([req, f, sock]);
    if (pending.length === 3) for (const [r, fr, s] of pending.reverse()) reply(s, fr.streamId, r.payload);
  });
  const c = await TtrpcClient.connect(srv.path);
  const calls = [1, 2, 3].map((i) =>
    c.call('svc.S', 'M', new Uint8Array([i]), { timeoutMs: 2000, metadata: { k: 'v' } }),
  );
  const res = await Promise.all(calls);
  assert.deepEqual(
    res.map((r) => [...r]),
    [[1], [2], [3]],
  );
  assert.deepEqual(
    srv.seen.map((f) => f.streamId),
    [1, 3, 5],
  );
  const req = RequestCodec.decode(srv.seen[0].body);
  assert.equal(req.service, 'svc.S');
  assert.equal(req.method, 'M');
  assert.equal(req.timeoutNano, 2000 * 1e6);
  assert.deepEqual(req.metadata, [{ key: 'k', value: 'v' }]);
  c.close();
  srv.server.close();
});

test('non-OK status maps to error kinds', async () => {
  const codes: [number, string][] = [
    [GrpcCode.NotFound, 'not-found'],
    [GrpcCode.AlreadyExists, 'conflict'],
    [GrpcCode.FailedPrecondition, 'conflict'],
    [GrpcCode.InvalidArgument, 'invalid-argument'],
    [GrpcCode.Unknown, 'internal'],
    [GrpcCode.Internal, 'internal'],
  ];
  const srv = await fakeServer((req, f, sock) =>
    reply(sock, f.streamId, new Uint8Array(), { code: req.payload[0], message: `code ${req.payload[0]}` }),
  );
  const c = await TtrpcClient.connect(srv.path);
  for (const [code, kind] of codes) {
    await assert.rejects(c.call('s', 'm', new Uint8Array([code])), (e: unknown) => {
      assert.ok(e instanceof TtrpcStatusError);
      assert.equal(e.kind, kind);
      assert.equal(e.grpcCode, code);
      assert.equal(e.message, `code ${code}`);
      return true;
    });
  }
  c.close();
  srv.server.close();
});

test('timeout and abort fail one call; a late answer is ignored', async () => {
  const srv = await fakeServer((req, f, sock) => setTimeout(() => reply(sock, f.streamId, req.payload), 150));
  const c = await TtrpcClient.connect(srv.path);
  await assert.rejects(
    c.call('s', 'm', new Uint8Array([1]), { timeoutMs: 30 }),
    (e: Error & { kind?: string }) => e.kind === 'unavailable' && /timed out/.test(e.message),
  );
  const ac = new AbortController();
  const p = c.call('s', 'm', new Uint8Array([2]), { signal: ac.signal });
  ac.abort(new Error('client went away'));
  await assert.rejects(p, /client went away/);
  // the connection still works after both
  assert.deepEqual([...(await c.call('s', 'm', new Uint8Array([3]), { timeoutMs: 2000 }))], [3]);
  c.close();
  srv.server.close();
});

test('connection close fails pending calls with unavailable and runs onClose once', async () => {
  const srv = await fakeServer(() => {});
  const c = await TtrpcClient.connect(srv.path);
  let closes = 0;
  c.onClose(() => closes++);
  const p1 = c.call('s', 'm', new Uint8Array([1]));
  const p2 = c.call('s', 'm', new Uint8Array([2]));
  await new Promise((r) => setTimeout(r, 30));
  for (const s of srv.conns) s.destroy();
  await assert.rejects(p1, (e: Error & { kind?: string }) => e.kind === 'unavailable');
  await assert.rejects(p2, (e: Error & { kind?: string }) => e.kind === 'unavailable');
  assert.equal(c.closed, true);
  assert.equal(closes, 1);
  await assert.rejects(c.call('s', 'm', new Uint8Array()), (e: Error & { kind?: string }) => e.kind === 'unavailable');
  srv.server.close();
});

test('connect to a missing socket is unavailable', async () => {
  await assert.rejects(
    TtrpcClient.connect(join(dir, 'nope.sock')),
    (e: Error & { kind?: string }) => e.kind === 'unavailable',
  );
});

test('maximum message size: oversized request refused, oversized response fails only its call', async () => {
  const srv = await fakeServer((req, f, sock) => {
    if (req.payload[0] === 1) {
      // a response bigger than 4 MiB, followed by a normal answer on the next call
      const big = Buffer.alloc(MESSAGE_LENGTH_MAX + 100);
      const hdr = Buffer.alloc(10);
      hdr.writeUInt32BE(big.length, 0);
      hdr.writeUInt32BE(f.streamId, 4);
      hdr.writeUInt8(MESSAGE_TYPE_RESPONSE, 8);
      sock.write(Buffer.concat([hdr, big]));
    } else reply(sock, f.streamId, req.payload);
  });
  const c = await TtrpcClient.connect(srv.path);
  await assert.rejects(
    c.call('s', 'm', new Uint8Array(MESSAGE_LENGTH_MAX)),
    (e: Error & { kind?: string }) => e.kind === 'invalid-argument',
  );
  await assert.rejects(c.call('s', 'm', new Uint8Array([1])), /exceeds maximum/);
  assert.deepEqual([...(await c.call('s', 'm', new Uint8Array([2])))], [2]);
  c.close();
  srv.server.close();
});

test('events server acknowledges Forward and refuses other methods', async () => {
  const got: string[] = [];
  const path = join(dir, 'events.sock');
  const evs = await listenEvents(path, { log: silentLogger, onEvent: (e) => got.push(`${e.namespace} ${e.topic}`) });
  const c = await TtrpcClient.connect(path);
  // ForwardRequest{envelope{namespace="ns", topic="/tasks/start"}}
  const env = Buffer.concat([
    Buffer.from([0x12, 2]),
    Buffer.from('ns'),
    Buffer.from([0x1a, 12]),
    Buffer.from('/tasks/start'),
  ]);
  const fwd = Buffer.concat([Buffer.from([0x0a, env.length]), env]);
  assert.equal((await c.call(EVENTS_SERVICE, 'Forward', fwd)).length, 0);
  assert.deepEqual(got, ['ns /tasks/start']);
  await assert.rejects(
    c.call(EVENTS_SERVICE, 'Other', new Uint8Array()),
    (e: Error & { kind?: string }) => e.kind === 'not-implemented',
  );
  c.close();
  await evs.close();
});
