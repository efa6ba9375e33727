import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants as fsc, mkdtempSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { mkfifo, raisePipeSize } from './stdio.ts';
import { SpooledOutput } from './spool.ts';

/** Collects what a readable delivers until `want` bytes or `ms` passed. */
function collect(r: Readable, want: number, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const done = () => {
      r.off('data', on);
      r.pause();
      resolve(got);
    };
    const on = (c: Buffer) => {
      got += c.toString();
      if (got.length >= want) done();
    };
    r.on('data', on);
    r.resume();
    setTimeout(done, ms);
  });
}

function fifo(dir: string, name: string): { path: string; reader: () => number; writer: number } {
  const path = join(dir, name);
  return {
    path,
    reader: () => openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK),
    writer: -1,
  };
}

test('output through the spool: uncommitted bytes come again after a restart, committed ones not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-spool-'));
  const out = fifo(dir, 'stdout');
  await mkfifo(out.path);
  // A writer that stays (the shim's role): data written while no reader is there waits in the pipe.
  const keep = openSync(out.path, fsc.O_RDWR);
  raisePipeSize(keep, 1 << 20); // the big write below must fit while this process is busy writing
  const w = openSync(out.path, fsc.O_WRONLY);
  writeSync(w, 'one\ntwo\n');

  let io = new SpooledOutput({ dir, fifos: [{ name: 'stdout', path: out.path, fd: out.reader() }], durable: true });
  assert.equal(await collect(io.stdout, 8), 'one\ntwo\n');
  assert.deepEqual(io.start, { stdout: 0, stderr: 0 });
  io.commit({ inode: 1, size: 10 }, { stdout: 4 }); // "one\n" is logged
  writeSync(w, 'three\n');
  assert.equal(await collect(io.stdout, 6), 'three\n');
  io.close(); // berthd dies: nothing more is committed

  writeSync(w, 'four\n'); // written while berthd is away: waits in the pipe
  io = new SpooledOutput({ dir, fifos: [{ name: 'stdout', path: out.path, fd: out.reader() }], durable: true });
  assert.deepEqual(io.start, { stdout: 4, stderr: 0 });
  assert.deepEqual(io.log, { inode: 1, size: 10 });
  assert.equal(await collect(io.stdout, 15), 'two\nthree\nfour\n', 'from the commit on, nothing lost, nothing twice');

  // Committing everything empties the spool once it is big enough.
  const big = 'x'.repeat(300 << 10) + '\n';
  writeSync(w, big);
  assert.equal((await collect(io.stdout, big.length)).length, big.length);
  io.commit({ inode: 1, size: 99 }, { stdout: 4 + 15 + big.length });
  assert.equal(statSync(join(dir, 'stdout.spool')).size, 0);
  io.close();
  io = new SpooledOutput({ dir, fifos: [{ name: 'stdout', path: out.path, fd: out.reader() }], durable: true });
  assert.deepEqual(io.start, { stdout: 4 + 15 + big.length, stderr: 0 });
  writeSync(w, 'after\n');
  assert.equal(await collect(io.stdout, 6), 'after\n');

  // The writer goes: end of stream.
  closeSync(w);
  closeSync(keep);
  io.kick();
  await new Promise<void>((resolve) => io.stdout.once('end', resolve).resume());
  io.close();
});

test('without a durable consumer, reading is committing; a full backlog stops reading the pipe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-spool-'));
  const out = fifo(dir, 'stdout');
  await mkfifo(out.path);
  const keep = openSync(out.path, fsc.O_RDWR);
  const w = openSync(out.path, fsc.O_WRONLY | fsc.O_NONBLOCK);
  writeSync(w, 'a\n');
  let io = new SpooledOutput({ dir, fifos: [{ name: 'stdout', path: out.path, fd: out.reader() }], durable: false });
  assert.equal(await collect(io.stdout, 2), 'a\n');
  io.close();
  io = new SpooledOutput({ dir, fifos: [{ name: 'stdout', path: out.path, fd: out.reader() }], durable: false });
  writeSync(w, 'b\n');
  assert.equal(await collect(io.stdout, 2), 'b\n', 'what was read before is not delivered again');
  io.close();

  // Durable, never committed: at most MAX_BACKLOG leaves the pipe; the rest stays in it.
  io = new SpooledOutput({
    dir: mkdtempSync(join(tmpdir(), 'berth-spool-')),
    fifos: [{ name: 'stdout', path: out.path, fd: out.reader() }],
    durable: true,
  });
  io.stdout.resume();
  const chunk = Buffer.alloc(64 << 10, 'y');
  let wrote = 0;
  let stuckSince = 0;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      wrote += writeSync(w, chunk);
      stuckSince = 0;
    } catch {
      stuckSince ||= Date.now();
      if (Date.now() - stuckSince > 500) break; // the pipe stays full: the reader holds back
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.ok(wrote < 8 << 20, `the writer is held back (${wrote} bytes accepted)`);
  io.close();
  closeSync(w);
  closeSync(keep);
});
