import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { run } from '../sys/exec.ts';
import { TarReader } from './reader.ts';
import { tarToBuffer, TarWriter } from './writer.ts';
import { tempDir } from '../snapshots/test-helpers.ts';

test('writer output reads back identically and GNU tar agrees', async () => {
  using t = tempDir();
  writeFileSync(join(t.path, 'src'), 'from a path');
  const long = `${'dir/'.repeat(40)}${'n'.repeat(120)}`;
  const tar = await tarToBuffer([
    { entry: { name: 'd/', type: 'dir', mode: 0o755, mtime: 1700000000 } },
    {
      entry: { name: long, type: 'file', uid: 3_000_000, gid: 7, mtime: 1700000000.5, xattrs: { 'user.k': 'v' } },
      body: 'long',
    },
    { entry: { name: 'üñí', type: 'file', uname: 'someone', gname: 'group' }, body: 'utf8' },
    { entry: { name: 'path', type: 'file', size: 11 }, body: { path: join(t.path, 'src') } },
    { entry: { name: 'stream', type: 'file', size: 3 }, body: Readable.from([Buffer.from('abc')]) },
    { entry: { name: 'lnk', type: 'symlink', linkname: 't'.repeat(200) } },
    { entry: { name: 'hl', type: 'hardlink', linkname: 'path' } },
    { entry: { name: 'null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 } },
    { entry: { name: 'p', type: 'fifo' } },
  ]);
  const seen: { name: string; body: string; uid: number; mtime: number; link: string }[] = [];
  for await (const e of new TarReader(Readable.from([tar]))) {
    let body = '';
    for await (const c of e.body) body += c.toString();
    seen.push({ name: e.header.name, body, uid: e.header.uid, mtime: e.header.mtime, link: e.header.linkname });
  }
  assert.deepEqual(
    seen.map((s) => s.name),
    ['d/', long, 'üñí', 'path', 'stream', 'lnk', 'hl', 'null', 'p'],
  );
  assert.equal(seen[1].uid, 3_000_000);
  assert.equal(seen[1].mtime, 1700000000.5);
  assert.equal(seen[3].body, 'from a path');
  assert.equal(seen[4].body, 'abc');
  assert.equal(seen[5].link, 't'.repeat(200));
  writeFileSync(join(t.path, 'a.tar'), tar);
  const listed = (await run('/usr/bin/tar', ['--quoting-style=literal', '-tf', join(t.path, 'a.tar')])).stdout
    .toString()
    .trim()
    .split('\n');
  assert.deepEqual(
    listed,
    seen.map((s) => s.name),
  );
  const verbose = (await run('/usr/bin/tar', ['--numeric-owner', '-tvf', join(t.path, 'a.tar')])).stdout.toString();
  assert.match(verbose, /3000000\/7/);
  assert.ok(readFileSync(join(t.path, 'a.tar')).length % 512 === 0);
});

test('a streamed body shorter than its size is an error', async () => {
  const w = new TarWriter();
  w.stream.resume();
  await assert.rejects(
    w.add({ name: 'f', type: 'file', size: 10 }, Readable.from([Buffer.from('abc')])),
    /body was 3 bytes/,
  );
});
