import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptKey, encodeFrame, FrameReader } from './websocket.ts';

test('handshake key as RFC 6455 section 1.3', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frames: masked client frames decode across chunk boundaries; server frames of every length class', () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const payload = Buffer.from('hello websocket');
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
  const frame = Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]);
  const r = new FrameReader();
  assert.deepEqual(r.push(frame.subarray(0, 5)), []);
  const [f] = r.push(frame.subarray(5));
  assert.equal(f.opcode, 2);
  assert.equal(f.payload.toString(), 'hello websocket');
  for (const n of [5, 300, 70_000]) {
    const enc = encodeFrame(2, Buffer.alloc(n, 7));
    const [g] = new FrameReader().push(enc);
    assert.equal(g.payload.length, n);
  }
});
