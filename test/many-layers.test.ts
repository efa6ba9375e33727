// An image of more layers than one overlay option string holds (Docker allows up to 125):
// the shim cannot mount its rootfs with mount(2), so berthd mounts it; containers run,
// RUN steps build on it, and nothing stays mounted after they go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tarToBuffer } from '../src/tar/writer.ts';
import { busyboxRootfs, isRoot, mountsUnder, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
useDaemon((x) => (d = x));

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const file = (name: string, body: string | Buffer) => ({ entry: { name, type: 'file' as const, mode: 0o644 }, body });
const LAYERS = 100;

async function loadManyLayers(): Promise<void> {
  const layers = [await busyboxRootfs()];
  for (let i = 1; i < LAYERS; i++) layers.push(await tarToBuffer([file(`layers/l${i}`, `${i}\n`)]));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map(sha) },
      history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
    }),
  );
  const names = layers.map((_, i) => `${String(i).padStart(64, '0')}/layer.tar`);
  const archive = await tarToBuffer([
    ...layers.map((l, i) => file(names[i], l)),
    file('config.json', config),
    file('manifest.json', JSON.stringify([{ Config: 'config.json', RepoTags: ['many:1'], Layers: names }])),
  ]);
  const r = await d.api('POST', '/images/load', { raw: archive, headers: { 'Content-Type': 'application/x-tar' } });
  assert.equal(r.status, 200, r.body.toString());
  assert.match(r.body.toString(), /Loaded image: many:1/);
}

test(`a ${LAYERS}-layer image runs, builds on, and leaves no mount`, { skip, timeout: 180_000 }, async () => {
  await loadManyLayers();
  const run = await runCli('berth', d, ['run', '--rm', 'many:1', 'sh', '-c', 'ls /layers | wc -l; cat /layers/l99']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${LAYERS - 1}\n99\n`);
  // Detached, then stopped and started again (the second mount of the same bundle).
  const id = (
    await runCli('berth', d, ['run', '-d', 'many:1', 'sh', '-c', 'echo up > /up; exec sleep 300'])
  ).stdout.trim();
  assert.equal((await runCli('berth', d, ['exec', id, 'cat', '/layers/l1'])).stdout, '1\n');
  assert.equal((await runCli('berth', d, ['restart', '-t', '0', id])).code, 0);
  assert.equal((await runCli('berth', d, ['exec', id, 'cat', '/up'])).stdout, 'up\n');
  assert.equal((await runCli('berth', d, ['rm', '-f', id])).code, 0);
  const b = await runCli(
    'berth',
    d,
    ['build', '-q', '-t', 'many:2', '-'],
    'FROM many:1\nRUN cat /layers/l50 > /fifty\n',
  );
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await runCli('berth', d, ['run', '--rm', 'many:2', 'cat', '/fifty'])).stdout, '50\n');
  // rm answers before its teardown: wait for the mounts to go.
  await waitFor(async () => mountsUnder(`${d.execRoot}/tasks`).length === 0);
});
