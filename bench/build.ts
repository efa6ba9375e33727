// Build figures (issue 6): the benchmark Dockerfile (FROM busybox, 8 RUN/COPY steps, a
// multi-stage COPY --from, ~50 MB context of 1 000 files) built cold, fully cached, and
// after changing one file only the last step uses; berthd (berth CLI) next to dockerd's
// legacy builder (docker CLI, DOCKER_BUILDKIT=0) in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runCmd, type Daemon } from './daemons.ts';
import { secs, table } from './stats.ts';

const DOCKER = '/usr/local/bin/docker';

export interface BuildFigures {
  berthd: Record<string, number>;
  dockerd: Record<string, number>;
  errors: string[];
}

const DOCKERFILE = `FROM busybox AS tool
RUN mkdir -p /out && echo tool > /out/tool
FROM busybox
COPY data/ /data/
RUN du -s /data > /du
COPY --from=tool /out/tool /usr/local/bin/tool
RUN echo step > /s1
COPY extra/ /extra/
RUN ls /extra | wc -l > /count
COPY last.txt /last.txt
`;

function makeContext(dir: string): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'extra'), { recursive: true });
  for (let i = 0; i < 990; i++) writeFileSync(join(dir, 'data', `f${i}.bin`), randomBytes(50 * 1024));
  for (let i = 0; i < 9; i++) writeFileSync(join(dir, 'extra', `e${i}.txt`), `extra ${i}\n`);
  writeFileSync(join(dir, 'last.txt'), 'v0\n');
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
}

export async function buildBench(o: {
  berthd: Daemon;
  dockerd?: Daemon;
  env: (d: Daemon) => NodeJS.ProcessEnv;
  dir: string;
  berthCli: string;
}): Promise<BuildFigures> {
  const fig: BuildFigures = { berthd: {}, dockerd: {}, errors: [] };
  const runs: [string, Daemon | undefined, string, Record<string, number>][] = [
    ['berthd', o.berthd, o.berthCli, fig.berthd],
    ['dockerd', o.dockerd, DOCKER, fig.dockerd],
  ];
  for (const [name, d, cli, out] of runs) {
    if (!d) continue;
    const dir = join(o.dir, name);
    makeContext(dir);
    const env = { ...o.env(d), DOCKER_BUILDKIT: '0' };
    const build = async (what: string) => {
      const r = await runCmd(cli, ['build', '-q', '-t', `bench-build-${name}`, dir], env, 300_000);
      if (r.code !== 0)
        fig.errors.push(`${name} ${what}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
      else out[what] = r.ms;
    };
    await build('cold');
    await build('cached');
    writeFileSync(join(dir, 'last.txt'), `v${Date.now()}\n`);
    await build('lastChanged');
  }
  const row = (k: string, label: string) => [
    label,
    fig.berthd[k] !== undefined ? secs(fig.berthd[k] / 1000) : '-',
    fig.dockerd[k] !== undefined ? secs(fig.dockerd[k] / 1000) : '-',
    fig.berthd[k] && fig.dockerd[k] ? (fig.berthd[k] / fig.dockerd[k]).toFixed(2) + 'x' : '-',
  ];
  process.stdout.write(
    '\nBuild (bench Dockerfile, ~50 MB context, 1 000 files)\n' +
      table([
        ['', 'berthd', 'dockerd (legacy)', 'ratio'],
        row('cold', 'cold build'),
        row('cached', 'fully cached rebuild'),
        row('lastChanged', 'last step changed'),
      ]) +
      '\n',
  );
  for (const e of fig.errors) process.stdout.write(`  error: ${e}\n`);
  return fig;
}
