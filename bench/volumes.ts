// Volume figures (issue 10): `docker run --rm -v NAME:/d busybox true` next to the same run
// without a volume; `volume create` and `rm` through the API; copy-up of a 10 000-file image
// directory next to `cp -a` of the same tree on the same disk. berthd, and dockerd in the
// same run when there is one.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from './http.ts';
import { runCmd, type Daemon } from './daemons.ts';
import { median, ms, table } from './stats.ts';

const DOCKER = '/usr/local/bin/docker';
const FILES = 10_000;

export interface VolumeFigures {
  berthd: Record<string, number>;
  dockerd: Record<string, number>;
  errors: string[];
}

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** A context whose image has /data with 10 000 files of 100 bytes in 100 directories. */
function copyContext(dir: string): void {
  for (let d = 0; d < 100; d++) {
    mkdirSync(join(dir, 'data', `d${d}`), { recursive: true });
    for (let f = 0; f < FILES / 100; f++)
      writeFileSync(join(dir, 'data', `d${d}`, `f${f}`), `${d}/${f}`.padEnd(100, '.'));
  }
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY data/ /data/\n');
}

export async function volumesBench(o: {
  berthd: Daemon;
  dockerd?: Daemon;
  env: (d: Daemon) => NodeJS.ProcessEnv;
  dir: string;
  runs: number;
}): Promise<VolumeFigures> {
  const fig: VolumeFigures = { berthd: {}, dockerd: {}, errors: [] };
  const ctx = join(o.dir, 'ctx');
  copyContext(ctx);
  // cp -a of the same tree on the same disk: the floor copy-up is held to.
  const cpa: number[] = [];
  for (let i = 0; i < 5; i++) {
    const dst = join(o.dir, `cpa-${i}`);
    const t0 = performance.now();
    execFileSync('cp', ['-a', join(ctx, 'data'), dst]);
    cpa.push(performance.now() - t0);
    rmSync(dst, { recursive: true, force: true });
  }
  const cpaMs = median(cpa);

  for (const [name, d, out] of [
    ['berthd', o.berthd, fig.berthd],
    ['dockerd', o.dockerd, fig.dockerd],
  ] as const) {
    if (!d) continue;
    const env = { ...o.env(d), DOCKER_BUILDKIT: '0' };
    const api = (method: string, path: string, body?: unknown) =>
      request(d.socket, method, `/v${d.apiVersion}${path}`, body === undefined ? {} : { body, timeoutMs: 120_000 });
    try {
      // 1. run with and without a named volume, interleaved.
      await runCmd(DOCKER, ['volume', 'create', 'benchvol'], env);
      const plain: number[] = [];
      const withVol: number[] = [];
      for (let i = 0; i < o.runs + 2; i++) {
        const a = await runCmd(DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], env);
        const b = await runCmd(
          DOCKER,
          ['run', '--rm', '--network', 'none', '-v', 'benchvol:/d', 'busybox', 'true'],
          env,
        );
        if (a.code !== 0 || b.code !== 0) throw new Error(`docker run failed: ${a.stderr}${b.stderr}`);
        if (i >= 2) {
          plain.push(a.ms);
          withVol.push(b.ms);
        }
      }
      out.runPlain = median(plain);
      out.runVolume = median(withVol);
      await runCmd(DOCKER, ['volume', 'rm', 'benchvol'], env);

      // 2. volume create and rm through the API.
      const creates: number[] = [];
      const removes: number[] = [];
      for (let i = 0; i < Math.max(20, o.runs); i++) {
        creates.push(await timed(() => api('POST', '/volumes/create', { Name: `bench-v${i}` })));
        removes.push(await timed(() => api('DELETE', `/volumes/bench-v${i}`)));
      }
      out.create = median(creates);
      out.remove = median(removes);

      // 3. copy-up: a container create that copies 10 000 files into a new volume, less the
      // same create with nocopy.
      const b = await runCmd(DOCKER, ['build', '-q', '-t', 'bench-copyup', ctx], env, 600_000);
      if (b.code !== 0) throw new Error(`build failed: ${b.stderr}`);
      const copy: number[] = [];
      const nocopy: number[] = [];
      for (let i = 0; i < 5; i++) {
        for (const [list, mode] of [
          [copy, ''],
          [nocopy, ':nocopy'],
        ] as const) {
          const vol = `bench-cu${i}${mode ? 'n' : ''}`;
          let id = '';
          list.push(
            await timed(async () => {
              const r = await api('POST', '/containers/create', {
                Image: 'bench-copyup',
                Cmd: ['true'],
                HostConfig: { Binds: [`${vol}:/data${mode}`] },
              });
              id = JSON.parse(r.body.toString()).Id;
            }),
          );
          await api('DELETE', `/containers/${id}?v=1`);
          await api('DELETE', `/volumes/${vol}`);
        }
      }
      out.copyUp = Math.max(0, median(copy) - median(nocopy));
      out.cpA = cpaMs;
    } catch (e) {
      fig.errors.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const row = (k: string, label: string) => [label, ms(fig.berthd[k]), ms(fig.dockerd[k])];
  process.stdout.write(
    '\nVolumes (issue 10)\n' +
      table([
        ['', 'berthd', 'dockerd'],
        row('runPlain', 'docker run --rm busybox true'),
        row('runVolume', 'docker run --rm -v NAME:/d busybox true'),
        [
          '  volume cost (goal: within 5 ms)',
          ms(fig.berthd.runVolume - fig.berthd.runPlain),
          ms(fig.dockerd.runVolume - fig.dockerd.runPlain),
        ],
        row('create', 'POST /volumes/create (goal: ≤ 5 ms)'),
        row('remove', 'DELETE /volumes/{name} (goal: ≤ 5 ms)'),
        row('copyUp', `copy-up of ${FILES} files (create − create nocopy)`),
        ['cp -a of the same tree (goal: copy-up ≤ this)', ms(cpaMs), ''],
      ]) +
      (fig.errors.length ? `errors: ${fig.errors.join('; ')}\n` : ''),
  );
  return fig;
}
