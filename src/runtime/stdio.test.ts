import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants as fsc, lstatSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createTaskIO, mkfifo, reopenTaskIO, stdioPaths } from './stdio.ts';
import { getPipeSize } from '../sys/libc.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-stdio-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const collect = (s: Readable) =>
  new Promise<string>((resolve) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('end', () => resolve(Buffer.concat(parts).toString()));
  });

test('keepers let a blocking writer open at once; EOF only after attach and the writer closing', async () => {
  const paths = stdioPaths(join(dir), { stdin: true, prefix: 'a' });
  const io = await createTaskIO(paths);
  assert.ok(lstatSync(paths.stdout).isFIFO() && lstatSync(paths.stdin!).isFIFO());
  // what the shim does: blocking O_WRONLY open (would hang without a reader)
  const w = openSync(paths.stdout, fsc.O_WRONLY);
  assert.ok(getPipeSize(w) >= 1 << 20, 'pipe size raised for the shim side too');
  assert.equal(io.pipeSize, getPipeSize(w));
  writeSync(w, 'before attach\n');
  const out = collect(io.stdout);
  io.attach();
  writeSync(w, 'after\n');
  closeSync(w);
  // stderr never had a writer: attach's reader sees EOF once the keeper is gone
  const err = collect(io.stderr);
  assert.equal(await out, 'before attach\nafter\n');
  assert.equal(await err, '');
  // stdin: our writer end never blocks; the data waits in the pipe
  const r = openSync(paths.stdin!, fsc.O_RDONLY | fsc.O_NONBLOCK);
  await new Promise<void>((resolve) => io.stdin!.write('in\n', () => resolve()));
  const buf = Buffer.alloc(16);
  const { readSync } = await import('node:fs');
  assert.equal(buf.subarray(0, readSync(r, buf)).toString(), 'in\n');
  closeSync(r);
  io.close();
});

test('reopen delivers buffered data from a live pipe', async () => {
  const paths = stdioPaths(dir, { stdin: false, prefix: 'b' });
  await mkfifo(paths.stdout);
  await mkfifo(paths.stderr);
  // the shim's two fds: a reader that keeps the pipe alive and a writer
  const shimR = openSync(paths.stdout, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const shimW = openSync(paths.stdout, fsc.O_WRONLY);
  writeSync(shimW, 'buffered while berthd was down\n');
  const errW = openSync(paths.stderr, fsc.O_RDWR);
  const io = await reopenTaskIO(paths);
  const out = collect(io.stdout);
  closeSync(shimW);
  closeSync(shimR);
  assert.equal(await out, 'buffered while berthd was down\n');
  closeSync(errW);
  io.close();
});

test('mkfifo is idempotent and refuses other files', async () => {
  const p = join(dir, 'f');
  await mkfifo(p);
  await mkfifo(p);
  await assert.rejects(mkfifo(dir), /not a FIFO/);
});
