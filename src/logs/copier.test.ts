import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { messageBytes, startCopier, toRecord } from './copier.ts';
import type { CopierMessage } from './copier.ts';
import { encodeRecord } from './jsonlog.ts';

function collect() {
  const msgs: CopierMessage[] = [];
  return {
    msgs,
    onMessage: (m: CopierMessage) => {
      msgs.push(m);
    },
  };
}

test('splits at newline; newline not in msg.line but in the record', async () => {
  const out = new PassThrough();
  const { msgs, onMessage } = collect();
  const c = startCopier({ stdout: out, onMessage });
  out.write('hello\nwor');
  out.write('ld\n\nlast');
  out.end();
  await c.done;
  assert.deepEqual(
    msgs.map((m) => m.line.toString()),
    ['hello', 'world', '', 'last'],
  );
  assert.deepEqual(
    msgs.map((m) => messageBytes(m).toString()),
    ['hello\n', 'world\n', '\n', 'last'],
  );
  // EOF remainder is a non-last partial: written without newline, as dockerd does
  assert.equal(msgs[3].partial?.last, false);
  assert.equal(msgs[0].partial, undefined);
  const rec = encodeRecord({ ...toRecord(msgs[2]), timeNs: 0n }).toString();
  assert.equal(rec, '{"log":"\\n","stream":"stdout","time":"1970-01-01T00:00:00Z"}\n');
});

test('lines longer than 16 KiB become 16 KiB partials sharing id and timestamp', async () => {
  const out = new PassThrough();
  const { msgs, onMessage } = collect();
  const c = startCopier({ stdout: out, onMessage });
  const long = Buffer.alloc(40_000, 'a');
  // feed in odd chunk sizes
  const data = Buffer.concat([long, Buffer.from('\nshort\n'), Buffer.alloc(16384, 'b'), Buffer.from('\n')]);
  for (let i = 0; i < data.length; i += 5000) out.write(data.subarray(i, i + 5000));
  out.end();
  await c.done;
  assert.deepEqual(
    msgs.map((m) => m.line.length),
    [16384, 16384, 40_000 - 32768, 5, 16384, 0],
  );
  const [a, b, cc] = msgs;
  assert.equal(a.partial?.ordinal, 1);
  assert.equal(b.partial?.ordinal, 2);
  assert.equal(cc.partial?.ordinal, 3);
  assert.equal(cc.partial?.last, true);
  assert.equal(a.partial?.last, false);
  assert.match(a.partial!.id, /^[0-9a-f]{64}$/);
  assert.equal(a.partial!.id, cc.partial!.id);
  assert.equal(a.timeNs, b.timeNs);
  assert.equal(a.timeNs, cc.timeNs);
  assert.equal(msgs[3].partial, undefined);
  // exactly 16 KiB then '\n': a full partial then an empty last chunk ("log":"\n")
  assert.equal(msgs[4].partial?.last, false);
  assert.equal(msgs[5].partial?.last, true);
  assert.notEqual(msgs[4].partial!.id, a.partial!.id);
  // The bytes are preserved exactly
  assert.deepEqual(Buffer.concat(msgs.map(messageBytes)), data);
});

test('both streams in parallel, several subscribers, unsubscribe', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const { msgs, onMessage } = collect();
  const c = startCopier({ stdout: out, stderr: err, onMessage });
  const live: string[] = [];
  const unsub = c.subscribe((m) => {
    live.push(`${m.stream}:${m.line}`);
  });
  out.write('o1\n');
  err.write('e1\n');
  await new Promise((r) => setImmediate(r));
  unsub();
  out.end('o2\n');
  err.end('e2\n');
  await c.done;
  assert.deepEqual(
    msgs.filter((m) => m.stream === 'stdout').map((m) => m.line.toString()),
    ['o1', 'o2'],
  );
  assert.deepEqual(
    msgs.filter((m) => m.stream === 'stderr').map((m) => m.line.toString()),
    ['e1', 'e2'],
  );
  assert.deepEqual(live.sort(), ['stderr:e1', 'stdout:o1']);
});

test('backpressure: a slow handler stops the reads (bounded buffering)', async () => {
  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let handled = 0;
  const c = startCopier({
    stdout: out,
    onMessage: async () => {
      handled++;
      await gate;
    },
  });
  const line = Buffer.alloc(1023, 'x');
  let refused = 0;
  let written = 0;
  for (let i = 0; i < 2000; i++) {
    if (!out.write(Buffer.concat([line, Buffer.from('\n')]))) refused++;
    written++;
    if (refused > 0) break;
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(refused > 0, 'source saw backpressure');
  assert.ok(
    out.readableLength + out.writableLength <= 256 * 1024,
    `buffered ${out.readableLength + out.writableLength}`,
  );
  assert.ok(handled < written, `handled ${handled} of ${written} while blocked`);
  release();
  out.end();
  await c.done;
  assert.equal(handled, written);
});

test('handler errors are reported, never thrown; close() stops and resolves done', async () => {
  const out = new PassThrough();
  const errors: unknown[] = [];
  const c = startCopier({
    stdout: out,
    onMessage: () => {
      throw new Error('boom');
    },
    onError: (e) => errors.push(e),
  });
  out.write('a\n');
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
  c.close();
  await c.done;
  assert.ok(out.destroyed);
});
