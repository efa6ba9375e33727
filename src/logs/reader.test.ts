import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonFileWriter } from './writer.ts';
import { encodeRecord, nowNs, toNs } from './jsonlog.ts';
import type { LogRecord } from './jsonlog.ts';
import { readLogs } from './reader.ts';
import type { ReadLogsOptions } from './reader.ts';

const T0 = toNs(Date.UTC(2021, 0, 1));
const SEC = 1_000_000_000n;
const rec = (i: number, stream: 'stdout' | 'stderr' = 'stdout', timeNs = T0 + BigInt(i) * SEC): LogRecord => ({
  stream,
  line: Buffer.from(`line ${i}\n`),
  timeNs,
});
const num = (l: string) => Number(/line (\d+)/.exec(l)![1]);
const openFds = () => fs.readdirSync('/proc/self/fd').length;

function tmpdir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function lines(file: string, opts: ReadLogsOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readLogs(file, opts)) out.push(r.line.toString());
  return out;
}

/** Writes records 0..n-1 through a rotating writer; returns the numbers still on disk. */
async function rotated(
  file: string,
  n: number,
  maxSize = 1000,
  maxFile = 3,
  stream?: (i: number) => 'stdout' | 'stderr',
) {
  const w = new JsonFileWriter(file, { maxSize, maxFile });
  for (let i = 0; i < n; i++) void w.write(rec(i, stream?.(i)));
  await w.close();
  return w;
}

test('reads rotated files oldest first', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  await rotated(file, 100);
  const got = (await lines(file)).map(num);
  assert.ok(fs.existsSync(file + '.2'));
  assert.equal(got.at(-1), 99);
  for (let i = 1; i < got.length; i++) assert.equal(got[i], got[i - 1] + 1);
});

test('tail across rotated files', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  await rotated(file, 100);
  const current = (await lines(file, { tail: -1 })).length;
  const inCurrent = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  const n = inCurrent + 3; // reaches into c-json.log.1
  assert.deepEqual(
    (await lines(file, { tail: n })).map(num),
    Array.from({ length: n }, (_, k) => 100 - n + k),
  );
  assert.deepEqual((await lines(file, { tail: 1 })).map(num), [99]);
  assert.deepEqual(await lines(file, { tail: 0 }), []);
  assert.equal((await lines(file, { tail: 1e9 })).length, current);
});

test('tail counts both streams; stream selection applies after (as dockerd)', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  await rotated(file, 20, -1, 1, (i) => (i % 2 ? 'stderr' : 'stdout'));
  assert.deepEqual((await lines(file, { tail: 4, stderr: false })).map(num), [16, 18]);
  assert.deepEqual((await lines(file, { stdout: false })).length, 10);
});

test('since / until', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  await rotated(file, 100);
  const all = (await lines(file)).map(num);
  const first = all[0];
  assert.deepEqual((await lines(file, { since: T0 + 95n * SEC })).map(num), [95, 96, 97, 98, 99]);
  assert.deepEqual((await lines(file, { since: T0 + 90n * SEC, until: T0 + 92n * SEC })).map(num), [90, 91, 92]);
  assert.deepEqual((await lines(file, { until: T0 + BigInt(first + 1) * SEC })).map(num), [first, first + 1]);
  assert.deepEqual(await lines(file, { since: T0 + 1000n * SEC }), []);
  assert.deepEqual(await lines(file, { since: T0 + 50n * SEC, until: T0 + 40n * SEC }), []);
  assert.deepEqual((await lines(file, { tail: 3, since: T0 + 98n * SEC })).map(num), [98, 99]);
});

test('since skips whole rotated files without reading them', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  await rotated(file, 3000, 50_000, 5);
  const stats = { bytesRead: 0 };
  const got = await lines(file, { since: T0 + 2999n * SEC, stats });
  assert.deepEqual(got.map(num), [2999]);
  const total = [file, file + '.1', file + '.2', file + '.3', file + '.4'].reduce((s, f) => s + fs.statSync(f).size, 0);
  assert.ok(stats.bytesRead < total / 2, `read ${stats.bytesRead} of ${total}`);
});

test('damaged file: NUL blocks, half lines and garbage are skipped', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const good = (i: number) => encodeRecord(rec(i));
  fs.writeFileSync(
    file,
    Buffer.concat([
      good(1),
      Buffer.alloc(8192),
      good(2),
      Buffer.from('{"log":"half'),
      Buffer.from('\n'),
      Buffer.from('\x00\x00{"log":"torn","stream":"std'),
      good(3),
      Buffer.from('not json\n'),
      good(4),
      Buffer.from('{"log":"unterminated'),
    ]),
  );
  assert.deepEqual((await lines(file)).map(num), [1, 2, 3, 4]);
  assert.deepEqual((await lines(file, { tail: 2 })).map(num), [3, 4]);
  // a damaged rotated file too
  fs.copyFileSync(file, file + '.1');
  assert.deepEqual((await lines(file)).map(num), [1, 2, 3, 4, 1, 2, 3, 4]);
});

test('missing log file: empty, no throw', async (t) => {
  assert.deepEqual(await lines(path.join(tmpdir(t), 'none-json.log')), []);
});

test('100 MB log: tail 10 reads < 1 MB', async (t) => {
  const file = path.join(tmpdir(t), 'big-json.log');
  const one = encodeRecord({ stream: 'stdout', line: Buffer.from('x'.repeat(100) + '\n'), timeNs: T0 });
  const block = Buffer.concat(Array.from({ length: Math.floor((1 << 20) / one.length) }, () => one));
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 100; i++) fs.writeSync(fd, block);
  fs.writeSync(fd, Buffer.concat([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => encodeRecord(rec(i)))));
  fs.closeSync(fd);
  assert.ok(fs.statSync(file).size > 100e6);
  const stats = { bytesRead: 0 };
  const start = performance.now();
  const got = await lines(file, { tail: 10, stats });
  const ms = performance.now() - start;
  assert.deepEqual(got.map(num), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(stats.bytesRead < 1 << 20, `read ${stats.bytesRead} bytes`);
  t.diagnostic(`tail 10 of ${fs.statSync(file).size} bytes: ${stats.bytesRead} bytes read in ${ms.toFixed(1)} ms`);
});

/** Consume a follow iterator in the background. */
function follow(file: string, opts: ReadLogsOptions) {
  const got: LogRecord[] = [];
  const done = (async () => {
    for await (const r of readLogs(file, { ...opts, follow: true })) got.push(r);
  })();
  return { got, done };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('follow: existing lines, then appended ones; ends after drain when the writer closes', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const w = new JsonFileWriter(file);
  await w.write(rec(0));
  const f = follow(file, { watchClosed: w.closed });
  await until(() => f.got.length === 1);
  await w.write(rec(1));
  await until(() => f.got.length === 2);
  void w.write(rec(2));
  void w.write(rec(3));
  await w.close();
  await f.done;
  assert.deepEqual(
    f.got.map((r) => num(r.line.toString())),
    [0, 1, 2, 3],
  );
});

test('follow with tail 0 sees only new lines; abort ends it', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const fds = openFds();
  const w = new JsonFileWriter(file);
  await w.write(rec(0));
  const ac = new AbortController();
  const f = follow(file, { tail: 0, signal: ac.signal });
  await new Promise((r) => setTimeout(r, 20));
  await w.write(rec(1));
  await until(() => f.got.length === 1);
  ac.abort();
  await f.done;
  assert.deepEqual(
    f.got.map((r) => num(r.line.toString())),
    [1],
  );
  await w.close();
  assert.equal(openFds(), fds);
});

test('follow survives rotations: no loss, no duplicates', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  // max-file large enough that rotation never deletes a file the follower has not read yet
  const fds = openFds();
  const w = new JsonFileWriter(file, { maxSize: 1000, maxFile: 50 });
  await w.write(rec(0));
  const f = follow(file, { watchClosed: w.closed, pollIntervalMs: 20 });
  await until(() => f.got.length === 1);
  const N = 400;
  for (let i = 1; i < N; i++) {
    await w.write(rec(i));
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(w.stats.rotations > 10);
  await w.close();
  await f.done;
  assert.deepEqual(
    f.got.map((r) => num(r.line.toString())),
    Array.from({ length: N }, (_, k) => k),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(openFds(), fds, 'no descriptor outlives the reader and writer');
});

test('follow across rotation with the Berth-like small chain (max-file=2): in order, no duplicates', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const w = new JsonFileWriter(file, { maxSize: 1000, maxFile: 2 });
  const f = follow(file, { watchClosed: w.closed });
  for (let i = 0; i < 300; i++) {
    await w.write(rec(i));
    if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await w.close();
  await f.done;
  const got = f.got.map((r) => num(r.line.toString()));
  for (let i = 1; i < got.length; i++) assert.ok(got[i] > got[i - 1], `order at ${i}: ${got[i - 1]} then ${got[i]}`);
  assert.equal(got.at(-1), 299);
  t.diagnostic(`received ${got.length}/300 (rotation may drop unread files only when the reader falls 2 files behind)`);
});

test('follow ends when until passes', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const w = new JsonFileWriter(file);
  t.after(() => w.close());
  const now = nowNs();
  await w.write(rec(0, 'stdout', now));
  const f = follow(file, { until: now + 150_000_000n });
  await f.done;
  assert.equal(f.got.length, 1);
});

test('follow waits for a log file that does not exist yet', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const ac = new AbortController();
  const f = follow(file, { signal: ac.signal, pollIntervalMs: 20 });
  await new Promise((r) => setTimeout(r, 30));
  const w = new JsonFileWriter(file);
  await w.write(rec(7));
  await until(() => f.got.length === 1);
  ac.abort();
  await f.done;
  await w.close();
});

test('a consumer that stops early releases the files', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  await rotated(file, 100);
  const fds = openFds();
  for await (const r of readLogs(file, { follow: true })) {
    assert.ok(r.line.length > 0);
    break;
  }
  assert.equal(openFds(), fds);
});
