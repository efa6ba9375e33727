// The SPDY session against a client made here the way spdystream frames things: header
// blocks deflated with the SPDY dictionary and sync flushes (one compressor per
// connection), streams opened with SYN_STREAM, half-closed with FIN. Real clients
// (crictl, critest) are exercised by test/cri*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import {
  dataFrame,
  decodeHeaders,
  encodeHeaders,
  FLAG_FIN,
  type Frame,
  FrameParser,
  FrameType,
  HeaderWriter,
} from './frames.ts';
import { SpdySession, type SpdyStream } from './session.ts';

function deflater() {
  const d = createDeflate({ dictionary: SPDY3_DICTIONARY });
  return (raw: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const out: Buffer[] = [];
      const on = (b: Buffer) => out.push(b);
      d.on('data', on);
      d.write(raw);
      d.flush(constants.Z_SYNC_FLUSH, () => {
        d.off('data', on);
        resolve(Buffer.concat(out));
      });
    });
}

function synStream(id: number, block: Buffer, fin = false): Buffer {
  const payload = Buffer.alloc(10);
  payload.writeUInt32BE(id, 0);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003, 0);
  head.writeUInt16BE(FrameType.SynStream, 2);
  head.writeUInt32BE(payload.length + block.length, 4);
  head[4] = fin ? FLAG_FIN : 0;
  return Buffer.concat([head, payload, block]);
}

async function pair(): Promise<{ client: Socket; session: SpdySession; close(): void }> {
  let session!: SpdySession;
  const server = createServer((s) => (session = new SpdySession(s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  while (!session) await new Promise((r) => setTimeout(r, 5));
  return {
    client,
    session,
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

test('header blocks we send: one zlib stream of stored blocks, each block whole', async () => {
  const w = new HeaderWriter();
  const a = w.compress(encodeHeaders({ streamtype: 'stdout' }));
  const b = w.compress(encodeHeaders({ ':status': '200', multi: ['x', 'y'] }));
  const raw = inflateSync(Buffer.concat([a, b]), { finishFlush: constants.Z_SYNC_FLUSH });
  const first = encodeHeaders({ streamtype: 'stdout' });
  assert.deepEqual({ ...decodeHeaders(raw.subarray(0, first.length)) }, { streamtype: ['stdout'] });
  assert.deepEqual({ ...decodeHeaders(raw.subarray(first.length)) }, { ':status': ['200'], multi: ['x', 'y'] });
});

test('streams: opened with typed headers, replied, data both ways, FIN half-closes, ping echoed', async (t) => {
  const p = await pair();
  t.after(() => p.close());
  const deflate = deflater();
  const got: SpdyStream[] = [];
  p.session.on('stream', (s: SpdyStream) => {
    got.push(s);
    s.reply();
    // Echo upper-cased, then half-close when the client half-closes.
    s.on('data', (b: Buffer) => s.write(Buffer.from(b.toString().toUpperCase())));
    s.on('end', () => s.end());
  });
  const frames: Frame[] = [];
  const parser = new FrameParser();
  p.client.on('data', (b: Buffer) => frames.push(...parser.feed(b)));
  p.client.write(synStream(1, await deflate(encodeHeaders({ streamtype: 'stdin', port: '80' }))));
  p.client.write(synStream(3, await deflate(encodeHeaders({ streamtype: 'error' })), true));
  p.client.write(dataFrame(1, Buffer.from('hello'), false));
  p.client.write(dataFrame(1, Buffer.alloc(0), true));
  const ping = Buffer.alloc(12);
  ping.writeUInt16BE(0x8003, 0);
  ping.writeUInt16BE(FrameType.Ping, 2);
  ping.writeUInt32BE(4, 4);
  ping.writeUInt32BE(7, 8);
  p.client.write(ping);
  const fin1 = () => frames.some((f) => f.kind === 'data' && f.streamId === 1 && f.flags & FLAG_FIN);
  while (!fin1() || !frames.some((f) => f.kind === 'control' && f.type === FrameType.Ping))
    await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(
    got.map((s) => [s.id, s.header('streamType'), s.header('port')]),
    [
      [1, 'stdin', '80'],
      [3, 'error', ''],
    ],
  );
  const replies = frames.filter((f) => f.kind === 'control' && f.type === FrameType.SynReply);
  assert.equal(replies.length, 2);
  const echoed = frames
    .filter((f): f is Extract<Frame, { kind: 'data' }> => f.kind === 'data' && f.streamId === 1)
    .map((f) => f.data.toString())
    .join('');
  assert.equal(echoed, 'HELLO');
  const pong = frames.find((f) => f.kind === 'control' && f.type === FrameType.Ping) as Extract<
    Frame,
    { kind: 'control' }
  >;
  assert.equal(pong.payload.readUInt32BE(0), 7);
});

test('a reset stream is destroyed; the session ends every stream when the connection goes', async (t) => {
  const p = await pair();
  t.after(() => p.close());
  const deflate = deflater();
  const streams: SpdyStream[] = [];
  p.session.on('stream', (s: SpdyStream) => streams.push(s));
  p.client.write(synStream(1, await deflate(encodeHeaders({ streamtype: 'data' }))));
  p.client.write(synStream(3, await deflate(encodeHeaders({ streamtype: 'error' }))));
  while (streams.length < 2) await new Promise((r) => setTimeout(r, 5));
  const rst = Buffer.alloc(16);
  rst.writeUInt16BE(0x8003, 0);
  rst.writeUInt16BE(FrameType.RstStream, 2);
  rst.writeUInt32BE(8, 4);
  rst.writeUInt32BE(1, 8);
  rst.writeUInt32BE(5, 12);
  p.client.write(rst);
  while (!streams[0].destroyed) await new Promise((r) => setTimeout(r, 5));
  assert.equal(streams[1].destroyed, false);
  const closed = new Promise((r) => p.session.once('close', r));
  p.client.destroy();
  await closed;
  assert.equal(streams[1].destroyed, true);
});
