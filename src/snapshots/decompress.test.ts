import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { isKind } from '../common/errors.ts';
import { run } from '../sys/exec.ts';
import { applyLayer } from './apply.ts';
import { decompress } from './decompress.ts';
import { tarToBuffer } from '../tar/writer.ts';
import { streamOf, tempDir } from './test-helpers.ts';

// Run as root (scripts/test does); `npm run test:unit` as another user skips these.
const needsRoot = process.getuid?.() === 0 ? false : 'needs root (layer owners)';

async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c);
  return Buffer.concat(out);
}

test('detects and decompresses gzip, zstd, bzip2, xz and plain input', async () => {
  const data = Buffer.concat([randomBytes(70_000), Buffer.alloc(200_000, 7)]);
  const cases: [string, Buffer][] = [
    ['none', data],
    ['gzip', gzipSync(data)],
    ['zstd', zstdCompressSync(data)],
    ['bzip2', (await run('/usr/bin/bzip2', ['-c'], { input: data })).stdout],
    ['xz', (await run('/usr/bin/xz', ['-c'], { input: data })).stdout],
  ];
  for (const [name, bytes] of cases) {
    // Split in small chunks so the magic peek has to span chunks.
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 3000) chunks.push(bytes.subarray(i, i + 3000));
    const first = chunks.shift()!;
    const d = await decompress(streamOf(first.subarray(0, 1), first.subarray(1), ...chunks));
    assert.equal(d.compression, name);
    assert.ok((await collect(d.stream)).equals(data), name);
  }
  const empty = await decompress(streamOf());
  assert.equal(empty.compression, 'none');
  assert.equal((await collect(empty.stream)).length, 0);
});

test('corrupt compressed input is an invalid-argument error', async () => {
  const gz = gzipSync(Buffer.alloc(100_000, 1));
  gz[gz.length - 6] ^= 0xff; // breaks the CRC
  await assert.rejects(collect((await decompress(streamOf(gz))).stream), (e: unknown) => isKind(e, 'invalid-argument'));
  const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(100)]);
  await assert.rejects(collect((await decompress(streamOf(xz))).stream), (e: unknown) => isKind(e, 'invalid-argument'));
});

test('a compressed layer applies with the diffID of the uncompressed tar', { skip: needsRoot }, async () => {
  const tar = await tarToBuffer([{ entry: { name: 'f', type: 'file' }, body: 'hello' }]);
  using t = tempDir();
  const { stream } = await decompress(streamOf((await run('/usr/bin/xz', ['-c'], { input: tar })).stdout));
  const res = await applyLayer(t.path, stream);
  assert.equal(res.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
});
