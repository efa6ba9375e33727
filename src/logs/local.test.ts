import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { toNs } from './jsonlog.ts';
import { decodeEntry, encodeAttrsField, encodeFrame, FrameDecoder } from './local-entry.ts';
import { LocalLogWriter, parseLocalOpts } from './local.ts';
import { JsonFileWriter } from './writer.ts';
import { readLogs, localCodec, type ReadLogsOptions } from './reader.ts';
import { compressedLastTime } from './gzip-file.ts';
import type { CopierMessage } from './copier.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const T0 = toNs(Date.UTC(2024, 0, 1));
const SEC = 1_000_000_000n;
const msg = (i: number, extra: Partial<CopierMessage> = {}): CopierMessage => ({
  stream: i % 7 === 0 ? 'stderr' : 'stdout',
  line: Buffer.from(`line ${i}`),
  timeNs: T0 + BigInt(i) * SEC + 123n,
  ...extra,
});

function tmpdir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-local-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function read(file: string, opts: ReadLogsOptions = {}) {
  const out: { stream: string; line: string; timeNs: bigint }[] = [];
  for await (const r of readLogs(file, { codec: localCodec, ...opts }))
    out.push({ stream: r.stream, line: r.line.toString(), timeNs: r.timeNs });
  return out;
}

test('frames: exact 64-bit times, partial metadata and attrs survive a round trip', () => {
  const m = msg(1, {
    timeNs: 1796394668758287356n,
    partial: { id: 'a'.repeat(64), ordinal: 3, last: true },
  });
  const frame = encodeFrame(m, encodeAttrsField({ team: 'a', app: 'web' }));
  assert.equal(frame.readUInt32BE(0), frame.length - 8);
  assert.equal(frame.readUInt32BE(frame.length - 4), frame.length - 8);
  const e = decodeEntry(frame.subarray(4, frame.length - 4))!;
  assert.equal(e.timeNs, 1796394668758287356n);
  assert.equal(e.line.toString(), 'line 1');
  assert.deepEqual(e.partial, { id: 'a'.repeat(64), ordinal: 3, last: true });
  assert.deepEqual(e.attrs, { app: 'web', team: 'a' });
});

test("a log written by dockerd's local driver (rotated, gzipped) reads whole, tailed and since", async () => {
  // Made by Docker 20.10: 60 lines, one on stderr, then a 20000-byte line (two partials),
  // max-size=2k max-file=3.
  // Read from a copy: the reader inflates rotated files beside them, never into the source tree.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-local-'));
  fs.cpSync(path.join(here, 'testdata', 'dockerd-local'), dir, { recursive: true });
  const file = path.join(dir, 'container.log');
  const all = await read(file);
  assert.equal(all.length, 63);
  assert.deepEqual(
    all.slice(0, 2).map((r) => r.line),
    ['line-1\n', 'line-2\n'],
  );
  assert.deepEqual(all[60], { stream: 'stderr', line: 'err\n', timeNs: all[60].timeNs });
  assert.equal(all[61].line, 'x'.repeat(16384)); // a partial: no newline
  assert.equal(all[62].line, `${'x'.repeat(3616)}\n`);
  assert.deepEqual(
    (await read(file, { tail: 3 })).map((r) => r.line.length),
    [4, 16384, 3617],
  );
  const since = await read(file, { since: all[59].timeNs });
  assert.equal(since.length, 4);
  assert.equal(since[0].line, 'line-60\n');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writer: rotation gzips old files with their last time; reads back across them', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'container.log');
  const w = new LocalLogWriter(file, { maxSize: 2000, maxFile: 4, compress: true, attrs: { team: 'a' } });
  for (let i = 0; i < 200; i++) await w.handler(msg(i));
  await w.close();
  const names = fs.readdirSync(dir).sort();
  assert.deepEqual(names, ['container.log', 'container.log.1.gz', 'container.log.2.gz', 'container.log.3.gz']);
  // A standard gzip, with dockerd's header extra.
  const inflated = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'container.log.1.gz')));
  const dec = new FrameDecoder();
  const recs = dec.push(inflated);
  assert.ok(recs.length > 10 && dec.skipped === 0);
  {
    const gz = await fs.promises.open(path.join(dir, 'container.log.1.gz'));
    assert.equal(await compressedLastTime(gz), recs.at(-1)!.timeNs);
    await gz.close();
  }
  const all = await read(file);
  const first = Number(/line (\d+)/.exec(all[0].line)![1]);
  assert.deepEqual(
    all.map((r) => r.line),
    Array.from({ length: 200 - first }, (_, k) => `line ${first + k}\n`),
  );
  assert.equal(all.find((r) => r.line === 'line 7\n')?.stream ?? 'stderr', 'stderr');
  assert.deepEqual(
    (await read(file, { tail: 5 })).map((r) => r.line),
    [195, 196, 197, 198, 199].map((i) => `line ${i}\n`),
  );
  // since: files that end before it are skipped unread (their header says so).
  const stats = { bytesRead: 0 };
  const late = await read(file, { since: T0 + 198n * SEC, stats });
  assert.deepEqual(
    late.map((r) => r.line),
    ['line 198\n', 'line 199\n'],
  );
  assert.ok(stats.bytesRead < fs.statSync(file).size + 1, `read ${stats.bytesRead} bytes`);
});

test('follow reads across a compressed rotation without loss or repeats', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'container.log');
  const w = new LocalLogWriter(file, { maxSize: 500, maxFile: 3, compress: true });
  await w.handler(msg(0));
  const got: string[] = [];
  const reader = (async () => {
    for await (const r of readLogs(file, {
      codec: localCodec,
      follow: true,
      watchClosed: w.closed,
      pollIntervalMs: 20,
    }))
      got.push(r.line.toString());
  })();
  for (let i = 1; i < 60; i++) {
    await w.handler(msg(i));
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 30));
  }
  await w.close();
  await reader;
  assert.deepEqual(
    got,
    Array.from({ length: 60 }, (_, i) => `line ${i}\n`),
  );
});

test('damage: a corrupt frame is skipped, the records around it are kept', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'container.log');
  const good = (i: number) => encodeFrame(msg(i));
  fs.writeFileSync(
    file,
    Buffer.concat([good(1), Buffer.from([0, 0, 0, 9, 1, 2, 3]), good(2), Buffer.alloc(100), good(3)]),
  );
  assert.deepEqual(
    (await read(file)).map((r) => r.line),
    ['line 1\n', 'line 2\n', 'line 3\n'],
  );
});

test("options: dockerd's defaults and messages", () => {
  assert.deepEqual(parseLocalOpts({}), { maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true });
  assert.deepEqual(parseLocalOpts({ 'max-size': '10k', 'max-file': '1', compress: 'false' }), {
    maxSize: 10_000,
    maxFile: 1,
    compress: false,
  });
  assert.throws(
    () => parseLocalOpts({ 'max-size': 'x' }),
    /^BerthError: invalid value for max-size: x: invalid size: 'x'$/,
  );
  assert.throws(() => parseLocalOpts({ 'max-file': '0' }), /compression cannot be enabled when max file count is 1/);
  assert.throws(() => parseLocalOpts({ compress: 'x' }), /invalid boolean value for compress: strconv.ParseBool/);
  assert.deepEqual(parseLocalOpts({ 'cache-max-size': '1k' }, 'cache-').maxSize, 1000);
});

test('json-file compress=true gzips rotated files and reads them back', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'x-json.log');
  const w = new JsonFileWriter(file, { maxSize: 1000, maxFile: 3, compress: true });
  for (let i = 0; i < 60; i++) await w.handler(msg(i));
  await w.close();
  assert.ok(fs.existsSync(`${file}.1.gz`) && fs.existsSync(`${file}.2.gz`));
  const lines: string[] = [];
  for await (const r of readLogs(file)) lines.push(r.line.toString());
  assert.equal(lines.at(-1), 'line 59\n');
  assert.ok(lines.length > 20);
});

test('follow keeps its place when several rotations compressed the files it had not read yet', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'container.log');
  const w = new LocalLogWriter(file, { maxSize: 300, maxFile: 200, compress: true });
  await w.handler(msg(0));
  const got: string[] = [];
  const reader = (async () => {
    // A slow reader: polling only, so many rotations pass between two looks.
    for await (const r of readLogs(file, {
      codec: localCodec,
      follow: true,
      watchClosed: w.closed,
      pollIntervalMs: 40,
      useWatch: false,
    }))
      got.push(r.line.toString());
  })();
  for (let i = 1; i < 1500; i++) {
    // Every fourth line repeats its predecessor's time, as the parts of a long line do.
    await w.handler(i % 4 === 0 ? msg(i, { timeNs: msg(i - 1).timeNs }) : msg(i));
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 15));
  }
  await w.close();
  await reader;
  assert.deepEqual(
    got,
    Array.from({ length: 1500 }, (_, i) => `line ${i}\n`),
  );
});
