// Pulls that die: berthd SIGKILLed mid-pull, and a data root that runs out of space.
// Each leaves nothing partial, the daemon keeps serving and the same pull then succeeds.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chainIds, type Digest } from '../src/common/digest.ts';
import { tarToBuffer } from '../src/tar/writer.ts';
import { isRoot, importBusybox, mountsUnder, startDaemon, type TestDaemon } from './helpers/daemon.ts';
import { addImage, sha, startFakeRegistry, type FakeRegistry } from './helpers/fake-registry.ts';

const lines = (b: Buffer) =>
  b
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
const randomTar = (name: string, mb: number) => {
  const chunks = Array.from({ length: mb * 16 }, () =>
    Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(65536))),
  );
  return tarToBuffer([{ entry: { name, type: 'file', mode: 0o644 }, body: Buffer.concat(chunks) }]);
};

/** Blobs and layers the recorded images reference (configs, diffIDs, manifests and what they list). */
async function liveSets(d: TestDaemon): Promise<{ blobs: Set<string>; layers: Set<string> }> {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  for (const img of (await d.api('GET', '/images/json?all=1')).json<{ Id: string; RepoDigests: string[] | null }[]>()) {
    blobs.add(img.Id.slice(7));
    const info = (await d.api('GET', `/images/${img.Id}/json`)).json<{ RootFS: { Layers: Digest[] } }>();
    for (const l of info.RootFS.Layers) blobs.add(l.slice(7));
    for (const c of chainIds(info.RootFS.Layers)) layers.add(c.slice(7));
    for (const rd of img.RepoDigests ?? []) {
      const hex = rd.split('@sha256:')[1];
      blobs.add(hex);
      const m = JSON.parse(readFileSync(join(d.dataRoot, 'content', 'blobs', 'sha256', hex), 'utf8'));
      for (const x of [m.config, ...(m.layers ?? [])]) if (x?.digest) blobs.add(x.digest.slice(7));
    }
  }
  return { blobs, layers };
}

async function assertNoOrphans(d: TestDaemon) {
  const live = await liveSets(d);
  const blobs = readdirSync(join(d.dataRoot, 'content', 'blobs', 'sha256'));
  assert.deepEqual(
    blobs.filter((b) => !live.blobs.has(b)),
    [],
    'orphan blobs',
  );
  const layers = readdirSync(join(d.dataRoot, 'layers')).filter((n) => n !== 'quarantine');
  assert.deepEqual(
    layers.filter((l) => !live.layers.has(l)),
    [],
    'orphan or half layers',
  );
  for (const l of layers) assert.ok(existsSync(join(d.dataRoot, 'layers', l, 'layer.json')), `layer ${l} complete`);
  assert.deepEqual(readdirSync(join(d.dataRoot, 'content', 'ingest')), [], 'ingest empty');
}

/** Starts a pull and resolves with the messages seen once `until` matches one. */
function pullUntil(d: TestDaemon, image: string, until: (m: { status?: string }) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { socketPath: d.socket, method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(image)}` },
      (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          const parts = buf.split('\n');
          buf = parts.pop()!;
          if (parts.some((l) => l.trim() && until(JSON.parse(l)))) resolve();
        });
        res.on('error', () => {});
        res.on('end', () => reject(new Error('pull ended before the kill point')));
      },
    );
    req.on('error', () => {});
    req.end();
  });
}

describe('pull reliability', { skip: !isRoot && 'needs root' }, () => {
  let reg!: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry();
  });
  after(async () => {
    await reg?.close();
  });

  test('berthd SIGKILLed mid-pull: nothing partial after restart, the pull completes, prune leaves no orphans', async () => {
    const d = await startDaemon();
    try {
      await importBusybox(d);
      const tars = await Promise.all([1, 2, 3, 4, 5].map((i) => randomTar(`l${i}`, 8)));
      const img = addImage(reg, 'kill/big', '1', tars);
      for (const b of img.blobs) reg.slow.set(sha(b), 160 << 10); // ~3 MB/s per blob: ~3 s a layer
      const ref = `${reg.host}/kill/big:1`;
      await pullUntil(d, ref, (m) => m.status === 'Pull complete');
      await d.stop('SIGKILL');
      await d.start();
      const names = (await d.api('GET', '/images/json'))
        .json<{ RepoTags: string[] | null }[]>()
        .flatMap((i) => i.RepoTags ?? []);
      assert.ok(!names.includes(ref), 'the killed pull is not listed');
      assert.equal((await d.api('GET', `/images/${encodeURIComponent(ref)}/json`)).status, 404);
      assert.ok(
        !readdirSync(join(d.dataRoot, 'layers')).some((n) => n.startsWith('tmp-')),
        'no half layer after restart',
      );
      for (const b of img.blobs) reg.slow.delete(sha(b));
      const r = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(ref)}`);
      assert.equal(r.status, 200);
      assert.ok(!lines(r.body).some((m) => m.error), r.body.toString());
      assert.equal(
        (await d.api('GET', `/images/${encodeURIComponent(ref)}/json`)).json<{ Id: string }>().Id,
        sha(img.config),
      );
      assert.equal((await d.api('POST', '/images/prune')).status, 200);
      await assertNoOrphans(d);
      // Removing the image and pruning leaves only busybox.
      assert.equal((await d.api('DELETE', `/images/${encodeURIComponent(ref)}`)).status, 200);
      assert.equal((await d.api('POST', '/images/prune')).status, 200);
      await assertNoOrphans(d);
      assert.equal((await d.api('GET', '/images/busybox/json')).status, 200);
    } finally {
      await d.cleanup();
    }
  });

  test('a layer unpacked while downloading is removed when the blob digest turns out wrong', async () => {
    const d = await startDaemon();
    try {
      const tar = await randomTar('s', 2);
      const a = gzipSync(tar, { level: 1 });
      const b = gzipSync(tar, { level: 9 });
      // Same tar (so the diffID check passes during the streamed unpack), other bytes of the same length.
      const [good, evil] =
        a.length >= b.length
          ? [a, Buffer.concat([b, Buffer.alloc(a.length - b.length)])]
          : [b, Buffer.concat([a, Buffer.alloc(b.length - a.length)])];
      const img = addImage(reg, 'stream/bad', '1', [tar], { layerBlobs: [good] });
      reg.blobs.set(sha(good), evil);
      reg.slow.set(sha(good), 256 << 10);
      const r = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/stream/bad:1`)}`);
      assert.match(r.body.toString(), /digest mismatch/);
      assert.equal((await d.api('GET', '/images/json?all=1')).json<unknown[]>().length, 0);
      const chain = sha(tar).slice(7);
      assert.ok(
        !readdirSync(join(d.dataRoot, 'layers')).some((n) => n === chain || n.startsWith('tmp-')),
        'the streamed layer was removed',
      );
      assert.ok(!readdirSync(join(d.dataRoot, 'content', 'blobs', 'sha256')).includes(sha(good).slice(7)));
      assert.deepEqual(readdirSync(join(d.dataRoot, 'content', 'ingest')), []);
      void img;
    } finally {
      await d.cleanup();
    }
  });

  test('disk full mid-pull: a clear error, berthd keeps serving, the pull succeeds once space is freed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
    const dataRoot = join(root, 'data');
    const img = join(tmpdir(), `berth-small-${process.pid}.img`);
    mkdirSync(dataRoot);
    execFileSync('truncate', ['-s', '64M', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', img]);
    execFileSync('mount', ['-o', 'loop', img, dataRoot]);
    let d: TestDaemon | undefined;
    try {
      d = await startDaemon({ root });
      await importBusybox(d);
      const big = addImage(reg, 'full/img', '1', [await randomTar('big', 24)]);
      const ref = `${reg.host}/full/img:1`;
      // Leave ~8 MiB: the 24 MiB layer cannot fit.
      const filler = join(dataRoot, 'filler');
      const st = statfsSync(dataRoot);
      const free = st.bavail * st.bsize;
      execFileSync('fallocate', ['-l', String(Math.max(0, free - (8 << 20))), filler]);
      const before = (await d.api('GET', '/images/json?all=1')).json<unknown[]>().length;
      const r = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(ref)}`);
      const errors =
        r.status === 200
          ? lines(r.body)
              .filter((m) => m.error)
              .map((m) => m.error as string)
          : [r.json<{ message: string }>().message];
      assert.ok(
        errors.some((e) => /no space left on device/.test(e)),
        r.body.toString(),
      );
      assert.equal((await d.api('GET', '/_ping')).status, 200);
      assert.equal((await d.api('GET', '/images/busybox/json')).status, 200);
      assert.equal((await d.api('GET', '/images/json?all=1')).json<unknown[]>().length, before);
      assert.equal((await d.api('GET', `/images/${encodeURIComponent(ref)}/json`)).status, 404);
      assert.deepEqual(readdirSync(join(dataRoot, 'content', 'ingest')), []);
      await rm(filler);
      const ok = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(ref)}`);
      assert.equal(ok.status, 200);
      assert.ok(!lines(ok.body).some((m) => m.error), ok.body.toString());
      assert.equal(
        (await d.api('GET', `/images/${encodeURIComponent(ref)}/json`)).json<{ Id: string }>().Id,
        sha(big.config),
      );
      assert.equal((await d.api('POST', '/images/prune')).status, 200);
      await assertNoOrphans(d);
      await d.stop();
    } finally {
      await d?.stop().catch(() => {});
      for (const m of mountsUnder(dataRoot).reverse()) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          /* gone */
        }
      }
      await rm(img, { force: true });
      if (d) await d.cleanup();
      else await rm(root, { recursive: true, force: true });
    }
  });
});
