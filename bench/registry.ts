// Registry figures (issue 4): cold pull of a ~200 MB, 5-layer image from a local
// docker-registry (berthd vs dockerd, same image, same run), the same pull with all
// layers present, push to an empty registry, and a save | load round trip.
// The image is built here: 5 layers of random data uploaded with our registry client.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCmd, type Daemon } from './daemons.ts';
import { secs, table } from './stats.ts';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.ts';
import { tarToBuffer } from '../src/tar/writer.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { sha256, type Digest } from '../src/common/digest.ts';

const DOCKER = '/usr/local/bin/docker';
const LAYERS = 5;
const LAYER_MB = 40;

export interface RegistryFigures {
  sizeMB: number;
  coldPull: { berthd?: number; dockerd?: number; ratio?: number; samples?: { berthd: number[]; dockerd: number[] } };
  warmPull?: number;
  push?: number;
  saveLoad?: number;
  errors: string[];
}

export async function buildImage(reg: TestRegistry, dir: string): Promise<number> {
  const client = new RegistryClient({ base: `http://${reg.host}`, name: reg.host });
  const layers: { digest: Digest; size: number; diff: Digest }[] = [];
  let total = 0;
  for (let i = 0; i < LAYERS; i++) {
    // Half random, half zeros: compressible like real layers, not trivially so.
    const body = Buffer.concat([randomBytes((LAYER_MB << 20) / 2), Buffer.alloc((LAYER_MB << 20) / 2)]);
    const tar = await tarToBuffer([{ entry: { name: `layer${i}.bin`, type: 'file', mode: 0o644 }, body }]);
    const gz = gzipSync(tar, { level: 1 });
    const file = join(dir, `l${i}`);
    await writeFile(file, gz);
    const digest = sha256(gz);
    await client.upload('bench/big', await client.startUpload('bench/big'), file, digest, gz.length, {
      chunkSize: 16 << 20,
    });
    layers.push({ digest, size: gz.length, diff: sha256(tar) });
    total += gz.length;
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diff) },
    }),
  );
  await writeFile(join(dir, 'cfg'), config);
  await client.upload(
    'bench/big',
    await client.startUpload('bench/big'),
    join(dir, 'cfg'),
    sha256(config),
    config.length,
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  await client.putManifest('bench/big', '1', manifest, 'application/vnd.docker.distribution.manifest.v2+json');
  return total / 1e6;
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
  errors: string[],
): Promise<number | undefined> {
  const t = performance.now();
  const r = await runCmd(cmd, args, env, 600_000);
  if (r.code !== 0) {
    errors.push(`${what}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 8).join(' | ')}`);
    return undefined;
  }
  return (performance.now() - t) / 1000;
}

export async function registryBench(o: {
  berthd: Daemon;
  dockerd?: Daemon;
  env: (d: Daemon) => NodeJS.ProcessEnv;
  dir: string;
  berthCli: string;
  pullRuns?: number;
}): Promise<RegistryFigures> {
  const res: RegistryFigures = { sizeMB: 0, coldPull: {}, errors: [] };
  let reg: TestRegistry | undefined;
  let empty: TestRegistry | undefined;
  try {
    reg = await startRegistry();
    res.sizeMB = await buildImage(reg, o.dir);
    const image = `${reg.host}/bench/big:1`;
    const benv = o.env(o.berthd);
    // Cold pulls interleaved berthd/dockerd so load from elsewhere hits both alike; medians.
    const samples: { berthd: number[]; dockerd: number[] } = { berthd: [], dockerd: [] };
    const runs = o.pullRuns ?? 3;
    for (let i = 0; i < runs; i++) {
      const last = i === runs - 1;
      const b = await timed(o.berthCli, ['pull', '-q', image], benv, 'berthd cold pull', res.errors);
      if (b !== undefined) samples.berthd.push(b);
      if (last) res.warmPull = await timed(o.berthCli, ['pull', '-q', image], benv, 'berthd warm pull', res.errors);
      else {
        await runCmd(o.berthCli, ['rmi', image], benv);
        await runCmd(o.berthCli, ['image', 'prune', '-f'], benv);
      }
      if (o.dockerd) {
        const d = await timed(DOCKER, ['pull', '-q', image], o.env(o.dockerd), 'dockerd cold pull', res.errors);
        if (d !== undefined) samples.dockerd.push(d);
        await runCmd(DOCKER, ['rmi', image], o.env(o.dockerd));
      }
    }
    res.coldPull.berthd = median(samples.berthd);
    res.coldPull.dockerd = median(samples.dockerd);
    res.coldPull.samples = samples;
    if (res.coldPull.berthd && res.coldPull.dockerd) res.coldPull.ratio = res.coldPull.berthd / res.coldPull.dockerd;
    empty = await startRegistry();
    const target = `${empty.host}/bench/big:1`;
    await runCmd(o.berthCli, ['tag', image, target], benv);
    res.push = await timed(o.berthCli, ['push', '-q', target], benv, 'berthd push', res.errors);
    const tarPath = join(o.dir, 'save.tar');
    res.saveLoad = await timed(
      '/bin/sh',
      [
        '-c',
        `"${o.berthCli}" save -o "${tarPath}" ${image} && "${o.berthCli}" rmi ${image} ${target} >/dev/null && "${o.berthCli}" load -i "${tarPath}" >/dev/null`,
      ],
      benv,
      'save|load',
      res.errors,
    );
    await runCmd(o.berthCli, ['rmi', image], benv);
  } catch (e) {
    res.errors.push(`registry bench: ${(e as Error).message}`);
  } finally {
    await reg?.stop();
    await empty?.stop();
  }
  const all = (xs?: number[]) => (xs?.length ? `runs: ${xs.map((x) => x.toFixed(2)).join(' ')} s` : '');
  const mbps = (s?: number) => (s ? `${(res.sizeMB / s).toFixed(0)} MB/s` : 'n/a');
  process.stdout.write(
    '\nRegistry (issue 4): ' + `${res.sizeMB.toFixed(0)} MB compressed, ${LAYERS} layers, local docker-registry\n`,
  );
  process.stdout.write(
    table([
      ['', 'time', 'rate', 'note'],
      [
        'cold pull, berthd (median)',
        secs(res.coldPull.berthd),
        mbps(res.coldPull.berthd),
        all(res.coldPull.samples?.berthd),
      ],
      [
        'cold pull, dockerd (median)',
        secs(res.coldPull.dockerd),
        mbps(res.coldPull.dockerd),
        [
          all(res.coldPull.samples?.dockerd),
          res.coldPull.ratio ? `ratio ${res.coldPull.ratio.toFixed(2)} (goal <= 0.7)` : '',
        ]
          .filter(Boolean)
          .join('; '),
      ],
      ['pull, all layers present', secs(res.warmPull), '', ''],
      ['push to an empty registry', secs(res.push), mbps(res.push), ''],
      ['save | load round trip', secs(res.saveLoad), '', ''],
    ]) + '\n',
  );
  for (const e of res.errors) process.stdout.write(`  error: ${e}\n`);
  return res;
}
