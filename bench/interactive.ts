// Interactive figures (issue 3): `docker exec web true` latency, berthd next to dockerd
// (median of 20, interleaved so drift hits both alike), and the throughput of
// `docker run --rm busybox cat /dev/zero | head -c N` through attach.
import { performance } from 'node:perf_hooks';
import { runCmd, type Daemon } from './daemons.ts';
import { ms, round, summarize, table, type Summary } from './stats.ts';

const DOCKER = '/usr/local/bin/docker';
/** 1 GiB takes minutes through a json-file log of NUL bytes on 2 cores; 256 MiB says the same. */
export const THROUGHPUT_BYTES = 256 << 20;

export interface InteractiveFigures {
  exec: { berthd?: Summary; dockerd?: Summary };
  throughputMBps: { berthd?: number; dockerd?: number };
  bytes: number;
  errors: string[];
}

export interface InteractiveBenchInput {
  berthd: Daemon;
  dockerd?: Daemon;
  env: (d: Daemon) => NodeJS.ProcessEnv;
  runs: number;
}

async function throughput(d: Daemon, env: NodeJS.ProcessEnv, errors: string[]): Promise<number | undefined> {
  const name = `bench-zero-${d.name}`;
  const t = performance.now();
  // head closes the pipe after N bytes; the CLI goes with it and the container is removed after.
  const r = await runCmd(
    '/bin/sh',
    ['-c', `${DOCKER} run --rm --name ${name} busybox cat /dev/zero | head -c ${THROUGHPUT_BYTES} | wc -c`],
    env,
    600_000,
  );
  const s = (performance.now() - t) / 1000;
  await runCmd(DOCKER, ['rm', '-f', name], env);
  const got = Number(r.stdout.trim());
  if (got !== THROUGHPUT_BYTES) {
    errors.push(`${d.name} attach throughput: got ${got} bytes: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    return undefined;
  }
  return THROUGHPUT_BYTES / 1e6 / s;
}

export async function interactiveBench(i: InteractiveBenchInput): Promise<InteractiveFigures> {
  const res: InteractiveFigures = { exec: {}, throughputMBps: {}, bytes: THROUGHPUT_BYTES, errors: [] };
  const ds = [i.berthd, ...(i.dockerd ? [i.dockerd] : [])];
  const samples: number[][] = ds.map(() => []);
  try {
    for (const d of ds) {
      const r = await runCmd(DOCKER, ['run', '-d', '--name', 'web', 'busybox', 'sleep', '600'], i.env(d));
      if (r.code !== 0) throw new Error(`${d.name}: docker run -d web: ${r.stderr.trim()}`);
    }
    const warmup = 2;
    for (let n = 0; n < i.runs + warmup; n++) {
      for (const [k, d] of ds.entries()) {
        const r = await runCmd(DOCKER, ['exec', 'web', 'true'], i.env(d));
        if (r.code !== 0) throw new Error(`${d.name}: docker exec web true: ${r.stderr.trim()}`);
        if (n >= warmup) samples[k].push(r.ms);
      }
    }
    res.exec.berthd = summarize(samples[0]);
    if (i.dockerd) res.exec.dockerd = summarize(samples[1]);
  } catch (e) {
    res.errors.push((e as Error).message);
  } finally {
    for (const d of ds) await runCmd(DOCKER, ['rm', '-f', 'web'], i.env(d));
  }
  for (const [k, d] of ds.entries()) {
    const v = await throughput(d, i.env(d), res.errors);
    if (k === 0) res.throughputMBps.berthd = v;
    else res.throughputMBps.dockerd = v;
  }
  return res;
}

export function interactiveReport(f: InteractiveFigures | undefined, runs: number): string[] {
  if (!f) return [];
  const mbps = (v: number | undefined) => (v === undefined ? 'n/a' : `${round(v, 1)} MB/s`);
  return [
    '',
    `9. Interactive: \`docker exec web true\` (median of ${runs}, after 2 warm-ups) and \`docker run --rm busybox cat /dev/zero | head -c ${f.bytes >> 20}M\` through attach`,
    table([
      ['daemon', 'exec median', 'exec p90', 'exec min', 'attach throughput'],
      [
        'berthd',
        ms(f.exec.berthd?.median),
        ms(f.exec.berthd?.p90),
        ms(f.exec.berthd?.min),
        mbps(f.throughputMBps.berthd),
      ],
      [
        'dockerd',
        ms(f.exec.dockerd?.median),
        ms(f.exec.dockerd?.p90),
        ms(f.exec.dockerd?.min),
        mbps(f.throughputMBps.dockerd),
      ],
    ]),
    ...(f.errors.length ? ['interactive errors:', ...f.errors] : []),
  ];
}
