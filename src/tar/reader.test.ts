import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  readFileSync,
  symlinkSync,
  linkSync,
  writeFileSync,
  chownSync,
  chmodSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { run } from '../sys/exec.ts';
import { lsetxattr, mknod, S_IFCHR, S_IFIFO } from '../sys/libc.ts';
import { applyLayer } from '../snapshots/apply.ts';
import { TarReader } from './reader.ts';
import type { TarHeader } from './reader.ts';
import {
  END,
  fixChecksum,
  padded,
  paxBody,
  rawHeader,
  snapshotTree,
  streamOf,
  tempDir,
} from '../snapshots/test-helpers.ts';

// Run as root (scripts/test does); `npm run test:unit` as another user skips these.
const needsRoot = process.getuid?.() === 0 ? false : 'needs root (device nodes and owners as GNU tar extracts them)';

const TAR = '/usr/bin/tar';

async function list(input: Readable): Promise<{ header: TarHeader; data: Buffer }[]> {
  const out: { header: TarHeader; data: Buffer }[] = [];
  for await (const e of new TarReader(input)) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c);
    out.push({ header: e.header, data: Buffer.concat(chunks) });
  }
  return out;
}

const rejects = (p: Promise<unknown>, re: RegExp) =>
  assert.rejects(p, (err: unknown) => isKind(err, 'invalid-argument') && re.test((err as Error).message));

/** A tree exercising what GNU tar can encode; long names force GNU/PAX extensions. */
function makeTree(dir: string): void {
  const long = 'd'.repeat(120);
  mkdirSync(join(dir, 'a/b/c'), { recursive: true });
  mkdirSync(join(dir, long, 'e'.repeat(200)), { recursive: true });
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'a/one'), 'x');
  writeFileSync(join(dir, 'a/b/block'), randomBytes(512));
  writeFileSync(join(dir, 'a/b/c/big'), randomBytes(100_003));
  writeFileSync(join(dir, long, 'e'.repeat(200), 'f'.repeat(150)), 'deep');
  symlinkSync('../' + 't'.repeat(140), join(dir, 'a/longlink'));
  symlinkSync('/etc/passwd', join(dir, 'abs-link'));
  linkSync(join(dir, 'a/one'), join(dir, 'hard'));
  mknod(join(dir, 'fifo'), S_IFIFO | 0o640);
  mknod(join(dir, 'null'), S_IFCHR | 0o666, 1, 3);
  writeFileSync(join(dir, 'suid'), '#!/bin/sh\n');
  chmodSync(join(dir, 'suid'), 0o4755);
  chmodSync(join(dir, 'a/b'), 0o1777);
  writeFileSync(join(dir, 'bigids'), 'ids');
  chownSync(join(dir, 'bigids'), 3_000_000, 2_500_000);
  writeFileSync(join(dir, 'xattr'), 'x');
  lsetxattr(join(dir, 'xattr'), 'user.berth', Buffer.from('value\n\0bin'));
  utimesSync(join(dir, 'a/one'), 1_000_000_000, 1_000_000_000);
  utimesSync(join(dir, 'a/b/c'), 1_500_000_000, 1_500_000_000);
}

for (const format of ['gnu', 'posix']) {
  test(`cross-check with GNU tar (${format} format)`, { skip: needsRoot }, async () => {
    using t = tempDir();
    const src = join(t.path, 'src');
    mkdirSync(src);
    makeTree(src);
    const archive = join(t.path, 'a.tar');
    // GNU format cannot carry xattrs (and uses base-256 for the big ids); PAX can.
    const xattrs = format === 'posix' ? ['--xattrs'] : [];
    await run(TAR, [...xattrs, `--format=${format}`, '-cf', archive, '-C', src, '.']);

    // Names and sizes as GNU tar lists them.
    const ours = await list(createReadStream(archive));
    const theirs = (await run(TAR, ['-tf', archive])).stdout.toString().trim().split('\n');
    assert.deepEqual(
      ours.map((e) => e.header.name),
      theirs,
    );
    const bigids = ours.find((e) => e.header.name === './bigids')!;
    assert.equal(bigids.header.uid, 3_000_000);
    assert.equal(bigids.header.gid, 2_500_000);

    // Extraction: ours vs GNU tar's, lstat by lstat.
    const mine = join(t.path, 'mine');
    const gnu = join(t.path, 'gnu');
    mkdirSync(mine);
    mkdirSync(gnu);
    const res = await applyLayer(mine, createReadStream(archive));
    await run(TAR, [
      ...xattrs,
      ...(xattrs.length ? ['--xattrs-include=*'] : []),
      '--numeric-owner',
      '-xpf',
      archive,
      '-C',
      gnu,
    ]);
    const snap = snapshotTree(mine, { mtimes: true });
    assert.deepEqual(snap, snapshotTree(gnu, { mtimes: true }));
    assert.ok(Object.keys(snap).length >= 17);
    assert.equal(snap.null.type, 'char');
    assert.equal(snap.suid.mode, 0o4755);
    assert.equal(snap.hard.linkGroup, 'a/one');
    assert.equal(snap.bigids.uid, 3_000_000);
    if (format === 'posix') assert.equal(snap.xattr.xattrs['user.berth'], Buffer.from('value\n\0bin').toString('hex'));
    const bytes = readFileSync(archive);
    assert.equal(res.diffId, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    assert.equal(res.tarSize, bytes.length);
  });
}

test('ustar prefix field and base-256 numbers', async () => {
  const h = rawHeader({ name: 'file', prefix: 'p'.repeat(150), size: 3 });
  // GNU base-256: high bit marker then big-endian value.
  h.fill(0, 108, 116);
  h[108] = 0x80;
  h.writeUInt32BE(5_000_000, 112);
  h.fill(0, 124, 136);
  h[124] = 0x80;
  h.writeUInt32BE(3, 132);
  fixChecksum(h);
  const [e] = await list(streamOf(h, padded('abc'), END));
  assert.equal(e.header.name, `${'p'.repeat(150)}/file`);
  assert.equal(e.header.uid, 5_000_000);
  assert.equal(e.data.toString(), 'abc');
});

test('PAX records: path, linkpath, ids, fractional mtime, xattrs, global header', async () => {
  const glob = paxBody({ comment: 'global', uname: 'gluser' });
  const pax = paxBody({
    path: 'p/'.repeat(300) + 'name',
    uid: '123456789',
    mtime: '1700000000.25',
    'SCHILY.xattr.user.k': 'v',
  });
  const link = paxBody({ linkpath: 'l'.repeat(300) });
  const tar = Buffer.concat([
    rawHeader({ flag: 'g', size: glob.length, name: 'g' }),
    padded(glob),
    rawHeader({ flag: 'x', size: pax.length }),
    padded(pax),
    rawHeader({ name: 'short', size: 2 }),
    padded('hi'),
    rawHeader({ flag: 'x', size: link.length }),
    padded(link),
    rawHeader({ name: 'sym', flag: '2', linkname: 'short' }),
    END,
  ]);
  const [a, b] = await list(streamOf(tar));
  assert.equal(a.header.name, 'p/'.repeat(300) + 'name');
  assert.equal(a.header.uid, 123456789);
  assert.equal(a.header.mtime, 1700000000.25);
  assert.equal(a.header.uname, 'gluser');
  assert.equal(a.header.xattrs.get('user.k')?.toString(), 'v');
  assert.equal(a.data.toString(), 'hi');
  assert.equal(b.header.type, 'symlink');
  assert.equal(b.header.linkname, 'l'.repeat(300));
});

test('GNU long name and long link', async () => {
  const name = 'n'.repeat(700);
  const target = 't'.repeat(400);
  const tar = Buffer.concat([
    rawHeader({ name: '././@LongLink', flag: 'L', size: name.length + 1, magic: 'ustar  \0' }),
    padded(name + '\0'),
    rawHeader({ name: '././@LongLink', flag: 'K', size: target.length + 1, magic: 'ustar  \0' }),
    padded(target + '\0'),
    rawHeader({ name: 'trunc', flag: '2', magic: 'ustar  \0' }),
    END,
  ]);
  const [e] = await list(streamOf(tar));
  assert.equal(e.header.name, name);
  assert.equal(e.header.linkname, target);
});

test('PAX size overrides the ustar size, as GNU tar reads it', async () => {
  const pax = paxBody({ size: '5' });
  const tar = Buffer.concat([
    rawHeader({ flag: 'x', size: pax.length }),
    padded(pax),
    rawHeader({ name: 'f', size: 0 }),
    padded('hello'),
    END,
  ]);
  const [e] = await list(streamOf(tar));
  assert.equal(e.data.toString(), 'hello');
  using t = tempDir();
  writeFileSync(join(t.path, 'x.tar'), tar);
  const v = (await run(TAR, ['-tvf', join(t.path, 'x.tar')])).stdout.toString();
  assert.match(v, / 5 .* f\n/);
});

test('ambiguous extended headers are rejected', async () => {
  const pax = paxBody({ path: 'a' });
  const ln = padded('b\0');
  const L = rawHeader({ flag: 'L', size: 2, name: '././@LongLink' });
  const X = rawHeader({ flag: 'x', size: pax.length });
  const f = rawHeader({ name: 'f' });
  await rejects(list(streamOf(X, padded(pax), L, ln, f, END)), /GNU long-name header after a PAX/);
  await rejects(list(streamOf(L, ln, X, padded(pax), f, END)), /PAX header after a GNU/);
  await rejects(list(streamOf(X, padded(pax), X, padded(pax), f, END)), /two PAX headers/);
  await rejects(list(streamOf(X, padded(pax), END)), /extended header without an entry/);
});

test('sparse files and unknown types with data are rejected', async () => {
  await rejects(list(streamOf(rawHeader({ flag: 'S', size: 0 }), END)), /sparse/);
  const pax = paxBody({ 'GNU.sparse.major': '1' });
  await rejects(
    list(streamOf(rawHeader({ flag: 'x', size: pax.length }), padded(pax), rawHeader({ name: 'f' }), END)),
    /sparse/,
  );
  await rejects(
    list(streamOf(rawHeader({ flag: 'Z', size: 10 }), padded('0123456789'), END)),
    /unsupported tar entry type/,
  );
  const warnings: string[] = [];
  const r = new TarReader(streamOf(rawHeader({ flag: 'Z' }), rawHeader({ name: 'ok' }), END), {
    onWarning: (w) => warnings.push(w),
  });
  const names: string[] = [];
  for await (const e of r) names.push(e.header.name);
  assert.deepEqual(names, ['ok']);
  assert.equal(warnings.length, 1);
});

test('truncated archives and non-tar input are clear errors', async () => {
  using t = tempDir();
  const src = join(t.path, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), randomBytes(5000));
  writeFileSync(join(src, 'g'), 'g');
  await run(TAR, ['-cf', join(t.path, 'a.tar'), '-C', src, 'f', 'g']);
  const full = readFileSync(join(t.path, 'a.tar'));
  await rejects(list(streamOf(full.subarray(0, 512 + 3000))), /unexpected end of archive/); // mid-body
  await rejects(list(streamOf(full.subarray(0, 512 * 11 + 100))), /unexpected end of archive/); // mid-header
  await rejects(list(streamOf(randomBytes(4096))), /invalid tar header/);
  await rejects(list(streamOf(Buffer.from('{"not":"a tar"}'.padEnd(600, ' ')))), /invalid tar header/);
  const bad = Buffer.from(full);
  bad[10] ^= 1; // flips a name byte: checksum no longer matches
  await rejects(list(streamOf(bad)), /checksum/);
  assert.deepEqual(await list(streamOf()), []); // empty input: empty archive
});

test('an archive may end at a header boundary or inside the last padding, as Go reads it', async () => {
  // f: header + 5000 bytes padded to 5120; g: header at 5632, 1 byte at 6144, end at 6656.
  using t = tempDir();
  const src = join(t.path, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), randomBytes(5000));
  writeFileSync(join(src, 'g'), 'g');
  await run(TAR, ['-cf', join(t.path, 'a.tar'), '-C', src, 'f', 'g']);
  const full = readFileSync(join(t.path, 'a.tar'));
  const names = async (n: number) => (await list(streamOf(full.subarray(0, n)))).map((e) => e.header.name);
  assert.deepEqual(await names(5632), ['f']); // no end marker after f
  assert.deepEqual(await names(6656), ['f', 'g']); // no end marker after g
  // What the docker CLI sends with -f outside the context: the last body is complete, its
  // padding is not.
  const cut = await list(streamOf(full.subarray(0, 6145)));
  assert.deepEqual(
    cut.map((e) => [e.header.name, e.data.length]),
    [
      ['f', 5000],
      ['g', 1],
    ],
  );
  await rejects(list(streamOf(full.subarray(0, 6144))), /unexpected end of archive/); // g's body missing
  await rejects(list(streamOf(full.subarray(0, 5632 + 511))), /unexpected end of archive/); // g's header cut
  await rejects(list(streamOf(full.subarray(0, 512 + 5000 - 1))), /unexpected end of archive/); // f's body cut
});

test('100 MB of zero padding after the end is read and hashed, never buffered', { skip: needsRoot }, async () => {
  const head = Buffer.concat([rawHeader({ name: 'f', size: 1 }), padded('1'), END]);
  const chunk = Buffer.alloc(1 << 20);
  const chunks = 100;
  const hash = createHash('sha256').update(head);
  for (let i = 0; i < chunks; i++) hash.update(chunk);
  const before = process.memoryUsage().rss;
  async function* gen() {
    yield head;
    // A fresh buffer each time: retaining them would cost 100 MB.
    for (let i = 0; i < chunks; i++) yield Buffer.alloc(1 << 20);
  }
  using t = tempDir();
  const res = await applyLayer(t.path, Readable.from(gen(), { objectMode: false }));
  assert.equal(res.tarSize, head.length + chunks * chunk.length);
  assert.equal(res.diffId, `sha256:${hash.digest('hex')}`);
  assert.ok(process.memoryUsage().rss - before < 80 << 20, 'padding must not be held in memory');
});
