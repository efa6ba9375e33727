import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnyCodec,
  GO_ZERO_SECONDS,
  TimestampCodec,
  dateFromTimestamp,
  message,
  timestampFromDate,
} from './protobuf.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// The examples of https://protobuf.dev/programming-guides/encoding/
const Test1 = message<{ a: number }>('Test1', { a: { no: 1, type: 'int32' } });
const Test2 = message<{ b: string }>('Test2', { b: { no: 2, type: 'string' } });
const Test3 = message<{ c: { a: number } | undefined }>('Test3', { c: { no: 3, type: Test1 } });
const Test4 = message<{ d: string; e: number[] }>('Test4', {
  d: { no: 1, type: 'string' },
  e: { no: 6, type: 'int32', repeated: true },
});

test('varint field (150 → 08 96 01)', () => {
  assert.equal(hex(Test1.encode({ a: 150 })), '089601');
  assert.deepEqual(Test1.decode(unhex('089601')), { a: 150 });
});

test('string field', () => {
  assert.equal(hex(Test2.encode({ b: 'testing' })), '120774657374696e67');
  assert.deepEqual(Test2.decode(unhex('120774657374696e67')), { b: 'testing' });
});

test('nested message', () => {
  assert.equal(hex(Test3.encode({ c: { a: 150 } })), '1a03089601');
  assert.deepEqual(Test3.decode(unhex('1a03089601')), { c: { a: 150 } });
  assert.deepEqual(Test3.decode(new Uint8Array(0)), { c: undefined });
});

test('packed repeated written, packed and unpacked read', () => {
  assert.equal(hex(Test4.encode({ d: 'hello', e: [1, 2, 3] })), '0a0568656c6c6f' + '3203010203');
  assert.deepEqual(Test4.decode(unhex('3203010203')), { d: '', e: [1, 2, 3] });
  assert.deepEqual(Test4.decode(unhex('300130023003')), { d: '', e: [1, 2, 3] });
});

test('proto3 defaults are omitted and filled on decode', () => {
  const M = message<{ s: string; n: number; b: boolean; by: Uint8Array; r: string[] }>('M', {
    s: { no: 1, type: 'string' },
    n: { no: 2, type: 'uint32' },
    b: { no: 3, type: 'bool' },
    by: { no: 4, type: 'bytes' },
    r: { no: 5, type: 'string', repeated: true },
  });
  assert.equal(M.encode({ s: '', n: 0, b: false, by: new Uint8Array(0), r: [] }).length, 0);
  assert.deepEqual(M.decode(new Uint8Array(0)), { s: '', n: 0, b: false, by: new Uint8Array(0), r: [] });
  assert.deepEqual(M.decode(M.encode({ r: ['a', 'b'], b: true })).r, ['a', 'b']);
});

test('negative int32 and int64 are 10-byte varints', () => {
  assert.equal(hex(Test1.encode({ a: -1 })), '08ffffffffffffffffff01');
  assert.deepEqual(Test1.decode(unhex('08ffffffffffffffffff01')), { a: -1 });
  const ts = TimestampCodec.encode({ seconds: GO_ZERO_SECONDS, nanos: 0 });
  assert.equal(hex(ts), '088092b8c398feffffff01');
  assert.deepEqual(TimestampCodec.decode(ts), { seconds: GO_ZERO_SECONDS, nanos: 0 });
});

test('uint32 above 2^31 and large uint64', () => {
  const U = message<{ u: number; v: number }>('U', { u: { no: 1, type: 'uint32' }, v: { no: 2, type: 'uint64' } });
  const enc = U.encode({ u: 0xffffffff, v: 2 ** 40 });
  assert.equal(hex(enc), '08ffffffff0f' + '10808080808020');
  assert.deepEqual(U.decode(enc), { u: 0xffffffff, v: 2 ** 40 });
});

test('fixed32/fixed64/double', () => {
  const F = message<{ a: number; b: number; c: number; d: number }>('F', {
    a: { no: 1, type: 'fixed32' },
    b: { no: 2, type: 'fixed64' },
    c: { no: 3, type: 'double' },
    d: { no: 4, type: 'sfixed32' },
  });
  const enc = F.encode({ a: 1, b: 2, c: 1.5, d: -2 });
  assert.equal(hex(enc), '0d01000000' + '110200000000000000' + '19000000000000f83f' + '25feffffff');
  assert.deepEqual(F.decode(enc), { a: 1, b: 2, c: 1.5, d: -2 });
});

test('unknown fields of every wire type are skipped', () => {
  // field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32, then a=150
  const buf = unhex('4805' + '510102030405060708' + '5a026869' + '6501020304' + '089601');
  assert.deepEqual(Test1.decode(buf), { a: 150 });
});

test('truncated input is an invalid-argument error', () => {
  assert.throws(
    () => Test2.decode(unhex('1207746573')),
    (e: Error & { kind?: string }) => e.kind === 'invalid-argument',
  );
});

test('Timestamp and Any', () => {
  const d = new Date('2024-05-06T07:08:09.123Z');
  const ts = timestampFromDate(d);
  assert.deepEqual(ts, { seconds: 1714979289, nanos: 123000000 });
  assert.equal(dateFromTimestamp(TimestampCodec.decode(TimestampCodec.encode(ts)))?.toISOString(), d.toISOString());
  assert.equal(dateFromTimestamp({ seconds: GO_ZERO_SECONDS, nanos: 0 }), undefined);
  assert.equal(dateFromTimestamp(undefined), undefined);
  const any = AnyCodec.encode({ typeUrl: 'x.y/Z', value: new Uint8Array([8, 1]) });
  assert.equal(hex(any), '0a05782e792f5a12020801');
  assert.deepEqual(AnyCodec.decode(any), { typeUrl: 'x.y/Z', value: new Uint8Array([8, 1]) });
});
