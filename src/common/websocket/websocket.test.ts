// RFC 6455 framing and the connection against hand-made client bytes: masking, every length
// class, fragmentation with interleaved control frames, ping/pong, the close handshake,
// and each breach a client can commit answered by the right close code, without a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { WebSocketConnection } from './connection.ts';
import { acceptKey, CloseCode, encodeFrame, FrameParser, Opcode, WsProtocolError } from './frames.ts';
import { HandshakeError, handshakeResponse, parseHandshake } from './handshake.ts';
import { messageStream } from './message-stream.ts';

/** A client frame: masked unless told otherwise, with free control over the first byte. */
function clientFrame(
  opcode: number,
  payload: Buffer | string,
  o: { fin?: boolean; mask?: boolean; rsv?: number } = {},
) {
  const p = Buffer.from(payload);
  const mask = o.mask === false ? undefined : Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const b0 = (o.fin === false ? 0 : 0x80) | (o.rsv ?? 0) | opcode;
  const m = mask ? 0x80 : 0;
  const len =
    p.length < 126
      ? Buffer.from([b0, m | p.length])
      : p.length < 65536
        ? Buffer.from([b0, m | 126, p.length >> 8, p.length & 0xff])
        : (() => {
            const b = Buffer.alloc(10);
            b[0] = b0;
            b[1] = m | 127;
            b.writeBigUInt64BE(BigInt(p.length), 2);
            return b;
          })();
  if (!mask) return Buffer.concat([len, p]);
  return Buffer.concat([len, mask, Buffer.from(p.map((x, i) => x ^ mask[i & 3]))]);
}

/** A connection on a fake socket; `out` collects what the server wrote, parsed. */
function harness(maxMessage?: number) {
  const written: Buffer[] = [];
  let ended = false;
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      written.push(chunk);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  const conn = new WebSocketConnection(socket, { maxMessage });
  const messages: { data: string; binary: boolean }[] = [];
  const closes: number[] = [];
  conn.on('message', (data, binary) => messages.push({ data: data.toString(), binary }));
  conn.on('close', (code) => closes.push(code));
  const frames = () => new FrameParser({ maxPayload: 1 << 24, requireMask: false }).push(Buffer.concat(written));
  return { socket, conn, messages, closes, frames, ended: () => ended, feed: (b: Buffer) => socket.push(b) };
}

const tick = () => new Promise((r) => setImmediate(r));

test('the accept key of RFC 6455 §1.3, and the 101 answer naming the chosen subprotocol', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  const r = handshakeResponse('dGhlIHNhbXBsZSBub25jZQ==', 'v5.channel.k8s.io');
  assert.match(r, /^HTTP\/1\.1 101 /);
  assert.match(r, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(r, /\r\nSec-WebSocket-Protocol: v5\.channel\.k8s\.io\r\n\r\n$/);
});

test('handshake requests: subprotocols in order; a wrong method, version or key refused with its status', () => {
  const good = {
    upgrade: 'websocket',
    connection: 'keep-alive, Upgrade',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-protocol': 'v5.channel.k8s.io, v4.channel.k8s.io',
  };
  assert.deepEqual(parseHandshake('GET', good).protocols, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  const status = (method: string, h: Record<string, string>) => {
    try {
      parseHandshake(method, h);
    } catch (err) {
      assert.ok(err instanceof HandshakeError);
      return err.status;
    }
    return 0;
  };
  assert.equal(status('POST', good), 400);
  assert.equal(status('GET', { ...good, 'sec-websocket-version': '8' }), 426);
  assert.equal(status('GET', { ...good, 'sec-websocket-key': 'short' }), 400);
  assert.equal(status('GET', { ...good, connection: 'keep-alive' }), 400);
});

test('frames: masked client frames of every length class, split at every byte, decode', () => {
  for (const n of [0, 5, 125, 126, 300, 65535, 65536, 70_000]) {
    const payload = Buffer.alloc(n, 7);
    const bytes = clientFrame(Opcode.Binary, payload);
    const p = new FrameParser({ maxPayload: 1 << 20 });
    const got = [];
    // Small frames byte by byte; large ones in uneven chunks.
    const step = n < 300 ? 1 : 4093;
    for (let i = 0; i < bytes.length; i += step) got.push(...p.push(bytes.subarray(i, i + step)));
    assert.equal(got.length, 1, `length ${n}`);
    assert.ok(got[0].payload.equals(payload), `length ${n}`);
    assert.equal(got[0].fin, true);
    // And our own encoding of it reads back.
    const [back] = new FrameParser({ maxPayload: 1 << 20, requireMask: false }).push(
      encodeFrame(Opcode.Binary, payload),
    );
    assert.equal(back.payload.length, n);
  }
});

test('frames: each breach is a protocol error with its close code, seen from the header alone', () => {
  const code = (bytes: Buffer, maxPayload = 1024) => {
    try {
      new FrameParser({ maxPayload }).push(bytes);
    } catch (err) {
      assert.ok(err instanceof WsProtocolError);
      return err.code;
    }
    return 0;
  };
  assert.equal(code(clientFrame(Opcode.Binary, 'x', { mask: false })), CloseCode.ProtocolError);
  assert.equal(code(clientFrame(Opcode.Binary, 'x', { rsv: 0x40 })), CloseCode.ProtocolError);
  assert.equal(code(clientFrame(0x3, 'x')), CloseCode.ProtocolError);
  assert.equal(code(clientFrame(Opcode.Ping, 'x', { fin: false })), CloseCode.ProtocolError);
  assert.equal(code(clientFrame(Opcode.Ping, Buffer.alloc(126))), CloseCode.ProtocolError);
  // A length past the limit is refused before any of its payload arrives.
  assert.equal(code(clientFrame(Opcode.Binary, Buffer.alloc(2000)).subarray(0, 8)), CloseCode.TooBig);
  const huge = Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]); // 2^32 bytes announced
  assert.equal(code(huge), CloseCode.TooBig);
  const msb = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(code(msb), CloseCode.ProtocolError);
});

test('connection: fragments with a ping between them make one message; the ping is answered', async () => {
  const h = harness();
  h.feed(clientFrame(Opcode.Text, 'hel', { fin: false }));
  h.feed(clientFrame(Opcode.Ping, 'are you there'));
  h.feed(clientFrame(Opcode.Continuation, 'lo ', { fin: false }));
  h.feed(clientFrame(Opcode.Continuation, 'world'));
  h.feed(clientFrame(Opcode.Binary, Buffer.from([1, 2])));
  await tick();
  assert.deepEqual(h.messages, [
    { data: 'hello world', binary: false },
    { data: '\x01\x02', binary: true },
  ]);
  const [pong] = h.frames();
  assert.equal(pong.opcode, Opcode.Pong);
  assert.equal(pong.payload.toString(), 'are you there');
  assert.ok(h.conn.send(Buffer.from('out')));
  assert.equal(h.frames()[1].payload.toString(), 'out');
});

test('connection: the close handshake both ways', async () => {
  const a = harness();
  a.feed(clientFrame(Opcode.Close, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65])));
  await tick();
  assert.deepEqual(a.closes, [CloseCode.Normal]);
  assert.equal(a.frames()[0].opcode, Opcode.Close);
  assert.equal(a.frames()[0].payload.readUInt16BE(0), CloseCode.Normal);
  assert.ok(a.ended());
  // Ours first: data after it is dropped, the peer's close completes it.
  const b = harness();
  b.conn.close(CloseCode.Normal, 'done');
  assert.equal(b.conn.isOpen, false);
  b.feed(clientFrame(Opcode.Binary, 'late'));
  b.feed(clientFrame(Opcode.Close, Buffer.from([0x03, 0xe8])));
  await tick();
  assert.deepEqual(b.messages, []);
  assert.deepEqual(b.closes, [CloseCode.Normal]);
  assert.equal(b.frames().length, 1); // no second close frame
});

test('connection: bad input closes cleanly with the right code, never throws', async () => {
  const cases: [string, Buffer[], number][] = [
    ['unmasked client frame', [clientFrame(Opcode.Binary, 'x', { mask: false })], CloseCode.ProtocolError],
    ['reserved bits', [clientFrame(Opcode.Binary, 'x', { rsv: 0x20 })], CloseCode.ProtocolError],
    ['fragmented control frame', [clientFrame(Opcode.Ping, 'x', { fin: false })], CloseCode.ProtocolError],
    ['oversized frame', [clientFrame(Opcode.Binary, Buffer.alloc(100))], CloseCode.TooBig],
    [
      'oversized message in fragments',
      [
        clientFrame(Opcode.Binary, Buffer.alloc(40), { fin: false }),
        clientFrame(Opcode.Continuation, Buffer.alloc(40)),
      ],
      CloseCode.TooBig,
    ],
    ['continuation without a start', [clientFrame(Opcode.Continuation, 'x')], CloseCode.ProtocolError],
    [
      'new message inside a fragmented one',
      [clientFrame(Opcode.Text, 'a', { fin: false }), clientFrame(Opcode.Text, 'b')],
      CloseCode.ProtocolError,
    ],
    ['text that is not UTF-8', [clientFrame(Opcode.Text, Buffer.from([0xc3, 0x28]))], CloseCode.InvalidData],
    ['close with a 1-byte payload', [clientFrame(Opcode.Close, Buffer.from([3]))], CloseCode.ProtocolError],
    ['close with a reserved code', [clientFrame(Opcode.Close, Buffer.from([0x03, 0xed]))], CloseCode.ProtocolError],
  ];
  for (const [name, bytes, want] of cases) {
    const h = harness(64);
    for (const b of bytes) h.feed(b);
    await tick();
    assert.deepEqual(h.closes, [want], name);
    const frames = h.frames();
    const close = frames[frames.length - 1];
    assert.equal(close.opcode, Opcode.Close, name);
    assert.equal(close.payload.readUInt16BE(0), want, name);
    assert.ok(h.ended(), name);
    assert.deepEqual(h.messages, [], name);
  }
});

test('message stream: a byte stream in binary messages both ways; the close ends it', async () => {
  const h = harness();
  const s = messageStream(h.conn);
  const got: Buffer[] = [];
  s.on('data', (b: Buffer) => got.push(b));
  h.feed(clientFrame(Opcode.Binary, 'ab'));
  h.feed(clientFrame(Opcode.Binary, 'cd'));
  s.write(Buffer.from('xyz'));
  await tick();
  assert.equal(Buffer.concat(got).toString(), 'abcd');
  assert.equal(h.frames()[0].payload.toString(), 'xyz');
  const ended = new Promise((r) => s.once('end', r));
  h.feed(clientFrame(Opcode.Close, Buffer.from([0x03, 0xe8])));
  await ended;
});
