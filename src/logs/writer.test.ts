import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { JsonFileWriter } from './writer.ts';
import { encodeRecord, toNs } from './jsonlog.ts';
import { readLogs } from './reader.ts';
import { fromHumanSize } from './options.ts';

const T0 = toNs(Date.UTC(2021, 0, 1));
const rec = (i: number, pad = 0) => ({
  stream: 'stdout' as const,
  line: Buffer.from(`line ${i}${'.'.repeat(pad)}\n`),
  timeNs: T0 + BigInt(i) * 1_000_000n,
});

function tmpdir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function collect(it: AsyncIterable<{ line: Buffer }>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of it) out.push(r.line.toString());
  return out;
}

test('appends exact records, mode 0640, close resolves closed', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const w = new JsonFileWriter(file);
  await Promise.all([w.write(rec(1)), w.write(rec(2))]);
  await w.close();
  await w.closed;
  assert.equal(fs.readFileSync(file, 'utf8'), encodeRecord(rec(1)).toString() + encodeRecord(rec(2)).toString());
  assert.equal(fs.statSync(file).mode & 0o777, 0o640 & ~process.umask());
  await w.write(rec(3)); // after close: dropped, no throw
  assert.equal(w.stats.dropped, 1);
  assert.equal(w.stats.written, 2);
});

test('attrs are written into every record', async (t) => {
  const file = path.join(tmpdir(t), 'c-json.log');
  const w = new JsonFileWriter(file, { attrs: { tag: 'web' } });
  await w.write(rec(1));
  await w.close();
  assert.match(fs.readFileSync(file, 'utf8'), /"stream":"stdout","attrs":\{"tag":"web"\},"time":/);
});

test('rotation max-size=1k max-file=3 keeps ≤3 files, each ≤ max-size, read back in order', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'c-json.log');
  const w = new JsonFileWriter(file, { maxSize: fromHumanSize('1k'), maxFile: 3 });
  const N = 200;
  for (let i = 0; i < N; i++) void w.write(rec(i, i % 13));
  await w.close();
  const names = fs.readdirSync(dir).sort();
  assert.deepEqual(names, ['c-json.log', 'c-json.log.1', 'c-json.log.2']);
  for (const n of names) assert.ok(fs.statSync(path.join(dir, n)).size <= 1000, n);
  assert.ok(w.stats.rotations > 10);
  const lines = await collect(readLogs(file));
  assert.ok(lines.length > 10);
  // a contiguous run ending with the last record
  const first = Number(/line (\d+)/.exec(lines[0])![1]);
  assert.deepEqual(
    lines,
    Array.from({ length: N - first }, (_, k) => rec(first + k, (first + k) % 13).line.toString()),
  );
});

test('max-file=1 rotates by replacing the file', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'c-json.log');
  const w = new JsonFileWriter(file, { maxSize: 500, maxFile: 1 });
  for (let i = 0; i < 50; i++) void w.write(rec(i));
  await w.close();
  assert.deepEqual(fs.readdirSync(dir), ['c-json.log']);
  assert.ok(fs.statSync(file).size <= 500);
  const lines = await collect(readLogs(file));
  assert.equal(lines.at(-1), 'line 49\n');
});

test('a record larger than max-size gets a file of its own', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'c-json.log');
  const w = new JsonFileWriter(file, { maxSize: 100, maxFile: 5 });
  await w.write(rec(1));
  await w.write({ ...rec(2), line: Buffer.alloc(300, 'z') });
  await w.write(rec(3));
  await w.close();
  assert.equal((await collect(readLogs(file))).length, 3);
  assert.ok(fs.statSync(file + '.1').size > 300);
});

test('bad options are refused with Docker-like messages', () => {
  assert.throws(() => new JsonFileWriter('/nonexistent/x', { maxFile: 0 }), /max-file cannot be less than 1/);
  assert.throws(() => new JsonFileWriter('/nonexistent/dir/x-json.log'), /ENOENT/);
});

/** A fresh tmpfs of `size` under a temp dir (root only); undefined when it cannot be mounted. */
function tinyTmpfs(t: { after: (fn: () => void) => void }, size: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  let mounted = false;
  t.after(() => {
    if (mounted) execFileSync('umount', ['-l', mnt]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
    return mnt;
  } catch {
    return undefined;
  }
}

test('ENOSPC: no throw, drops counted, one rate-limited warning, no half records', async (t) => {
  const mnt = tinyTmpfs(t, '64k');
  if (!mnt) {
    t.skip('needs root and mount -t tmpfs: ENOSPC path not exercised');
    return;
  }
  const file = path.join(mnt, 'c-json.log');
  const warnings: [string, Record<string, unknown>][] = [];
  const w = new JsonFileWriter(file, { onWarning: (m, f) => warnings.push([m, f]) });
  const N = 3000; // ~250 KB of records into 64 KiB
  const writes = [];
  for (let i = 0; i < N; i++) writes.push(w.write(rec(i, 40)));
  await Promise.all(writes);
  // keep going after the disk is full
  await w.write(rec(N, 40));
  await w.close();
  const st = w.stats;
  assert.ok(st.dropped > 0, 'some records dropped');
  assert.ok(st.written > 0, 'earlier records kept');
  assert.equal(st.written + st.dropped, N + 1);
  assert.equal(warnings.length, 1, 'one warning per interval');
  assert.equal(warnings[0][1].error, 'ENOSPC');
  const content = fs.readFileSync(file);
  assert.equal(content.at(-1), 0x0a, 'file ends at a record boundary');
  const lines = await collect(readLogs(file));
  assert.equal(lines.length, st.written);
  for (const [i, l] of lines.entries()) assert.equal(l, rec(i, 40).line.toString());
});

test('ENOSPC during rotation keeps the writer alive', async (t) => {
  const mnt = tinyTmpfs(t, '64k');
  if (!mnt) {
    t.skip('needs root and mount -t tmpfs: ENOSPC path not exercised');
    return;
  }
  const file = path.join(mnt, 'c-json.log');
  const w = new JsonFileWriter(file, { maxSize: 20_000, maxFile: 10, warnIntervalMs: 0 });
  for (let i = 0; i < 3000; i++) void w.write(rec(i, 40));
  await w.close();
  assert.ok(w.stats.dropped > 0);
  const lines = await collect(readLogs(file));
  assert.ok(lines.length > 0);
  // still ordered, no garbage
  const nums = lines.map((l) => Number(/line (\d+)/.exec(l)![1]));
  for (let i = 1; i < nums.length; i++) assert.ok(nums[i] > nums[i - 1]);
});
