import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLine, encodeAttrs, encodeRecord, formatTime, LineDecoder, nowNs, parseTime, toNs } from './jsonlog.ts';

const T2021 = toNs(Date.UTC(2021, 0, 1));
const enc = (
  line: string | Buffer,
  stream: 'stdout' | 'stderr' = 'stdout',
  timeNs = T2021,
  attrs?: Record<string, string>,
) =>
  encodeRecord({ stream, line: typeof line === 'string' ? Buffer.from(line) : line, timeNs, attrs }).toString('utf8');

// Expected bytes written by hand from dockerd's format (jsonlogbytes.go, RFC3339Nano).
test('encodes records byte-for-byte like dockerd', () => {
  assert.equal(
    enc('hello <world>\n', 'stdout', T2021 + 500_000_000n),
    '{"log":"hello \\u003cworld\\u003e\\n","stream":"stdout","time":"2021-01-01T00:00:00.5Z"}\n',
  );
  assert.equal(enc('a & b\n', 'stderr'), '{"log":"a \\u0026 b\\n","stream":"stderr","time":"2021-01-01T00:00:00Z"}\n');
  // quote, backslash; \r and \n short; TAB and other controls as \u00XX (dockerd's own escaper)
  assert.equal(
    enc('say "hi" \\o/\ta\x01\x1f\r\n'),
    '{"log":"say \\"hi\\" \\\\o/\\u0009a\\u0001\\u001f\\r\\n","stream":"stdout","time":"2021-01-01T00:00:00Z"}\n',
  );
  // DEL and valid multi-byte UTF-8 raw; U+2028/U+2029 escaped
  assert.equal(
    enc('\x7f é 🚀 \u2028\u2029\n'),
    '{"log":"\x7f é 🚀 \\u2028\\u2029\\n","stream":"stdout","time":"2021-01-01T00:00:00Z"}\n',
  );
  // partial (no trailing newline) is written as is
  assert.equal(enc('abc'), '{"log":"abc","stream":"stdout","time":"2021-01-01T00:00:00Z"}\n');
  // empty log is omitted (omitempty)
  assert.equal(enc(''), '{"stream":"stdout","time":"2021-01-01T00:00:00Z"}\n');
});

test('invalid UTF-8: one \\ufffd per bad byte, as Go utf8.DecodeRune', () => {
  const line = Buffer.from([0x66, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xef, 0xbf, 0xbd, 0xe2, 0x82]);
  assert.equal(
    enc(line),
    '{"log":"f\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\ufffd\\ufffd\\ufffd","stream":"stdout","time":"2021-01-01T00:00:00Z"}\n',
  );
});

test('attrs: sorted keys, Go encoding/json escaping, between stream and time', () => {
  assert.equal(encodeAttrs({ tag: 'x\ty', a: '<b>' }).toString(), '{"a":"\\u003cb\\u003e","tag":"x\\ty"}');
  assert.equal(
    enc('x\n', 'stdout', T2021, { tag: 'web', com_label: 'v' }),
    '{"log":"x\\n","stream":"stdout","attrs":{"com_label":"v","tag":"web"},"time":"2021-01-01T00:00:00Z"}\n',
  );
});

test('RFC3339Nano with Go trailing-zero trimming', () => {
  const base = toNs(Date.UTC(2024, 4, 1, 10, 11, 12));
  assert.equal(formatTime(base + 123_456_789n), '2024-05-01T10:11:12.123456789Z');
  assert.equal(formatTime(base + 120_000_000n), '2024-05-01T10:11:12.12Z');
  assert.equal(formatTime(base + 1n), '2024-05-01T10:11:12.000000001Z');
  assert.equal(formatTime(base), '2024-05-01T10:11:12Z');
  // docker logs -t: dockerd's RFC3339NanoFixed keeps all nine digits.
  assert.equal(formatTime(base + 120_000_000n, true), '2024-05-01T10:11:12.120000000Z');
  assert.equal(formatTime(base, true), '2024-05-01T10:11:12.000000000Z');
  assert.equal(formatTime(toNs(Date.UTC(2017, 8, 1, 1, 1, 1)) + 1n), '2017-09-01T01:01:01.000000001Z');
  assert.equal(parseTime('2024-05-01T10:11:12.123456789Z'), base + 123_456_789n);
  assert.equal(parseTime('2024-05-01T10:11:12.12Z'), base + 120_000_000n);
  assert.equal(parseTime('2024-05-01T12:11:12+02:00'), base);
  assert.equal(parseTime('nope'), undefined);
});

test('nowNs is nanosecond-resolution wall time, monotonic', () => {
  const a = nowNs();
  const b = nowNs();
  assert.ok(b >= a);
  const diffMs = Number(a / 1_000_000n) - Date.now();
  assert.ok(Math.abs(diffMs) < 50, `off by ${diffMs} ms`);
});

test('decode round-trips, including attrs and escapes', () => {
  const line = Buffer.from('tab\there <&> \u2028 é\n');
  const raw = encodeRecord({ stream: 'stderr', line, timeNs: T2021 + 7n, attrs: { tag: 't' } });
  const rec = decodeLine(raw.subarray(0, raw.length - 1));
  assert.ok(rec);
  assert.equal(rec.stream, 'stderr');
  assert.deepEqual(rec.line, line);
  assert.equal(rec.timeNs, T2021 + 7n);
  assert.deepEqual(rec.attrs, { tag: 't' });
});

test('decoder skips NUL blocks, half lines and garbage without throwing', () => {
  const good = (s: string) => enc(s + '\n');
  const data = Buffer.concat([
    Buffer.from(good('one')),
    Buffer.alloc(4096), // NUL block after an unclean shutdown
    Buffer.from('{"log":"half a li'), // torn write...
    Buffer.from('\n'),
    Buffer.from('garbage ]] \n\n'),
    Buffer.alloc(10),
    Buffer.from(good('two')),
    Buffer.from('{"log":"x","stream":"stdout","time":"not a time"}\n'),
    Buffer.from('[1,2]\n'),
    Buffer.from(good('three').trimEnd()), // last record without newline
  ]);
  const dec = new LineDecoder();
  const out = [];
  // feed in awkward pieces
  for (let i = 0; i < data.length; i += 7) out.push(...dec.push(data.subarray(i, i + 7)));
  out.push(...dec.end());
  assert.deepEqual(
    out.map((r) => r.line.toString()),
    ['one\n', 'two\n', 'three\n'],
  );
  assert.ok(dec.skipped >= 3);
});

test('decoder: a record glued behind NULs on the same line is recovered', () => {
  const rec = decodeLine(Buffer.concat([Buffer.alloc(100), Buffer.from(enc('ok\n').trimEnd())]));
  assert.equal(rec?.line.toString(), 'ok\n');
  const glued = decodeLine(Buffer.from('{"log":"torn' + enc('ok\n').trimEnd()));
  assert.equal(glued?.line.toString(), 'ok\n');
});

test('runs of escaped bytes (NUL-filled output) encode and decode like single ones', () => {
  for (const n of [1, 2, 3, 7, 64, 1000, 16384]) {
    const line = Buffer.concat([Buffer.from('a'), Buffer.alloc(n), Buffer.from('<<"\\\\b\n')]);
    const text = enc(line);
    assert.equal(
      text,
      `{"log":"a${'\\u0000'.repeat(n)}\\u003c\\u003c\\"\\\\\\\\b\\n","stream":"stdout","time":"2021-01-01T00:00:00Z"}\n`,
    );
    assert.deepEqual(decodeLine(Buffer.from(text.trimEnd()))?.line, line);
  }
});
