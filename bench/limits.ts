// Limits and health figures (issue 11):
//   a. what cgroup limits and the default seccomp profile add to
//      `docker run --rm --network none busybox true` against berthd (goal ≤ 5 ms): no limits
//      and seccomp=unconfined, the default (seccomp), and limits (--memory --cpus
//      --pids-limit) with seccomp — interleaved so drift hits all alike;
//   b. berthd's CPU seconds over 60 s with 20 containers health-checked every second, next
//      to the same 20 containers without a healthcheck (the probes' cost, and nothing
//      between them).
import { readFileSync } from 'node:fs';
import { runCmd, sleep, type Daemon } from './daemons.ts';
import { ms, round, summarize, table, type Summary } from './stats.ts';

const DOCKER = '/usr/local/bin/docker';
export const LIMITS_GOAL_MS = 5;
const FLEET = 20;
const WINDOW_S = 60;

export interface LimitsFigures {
  run: { unconfined?: Summary; seccomp?: Summary; limits?: Summary };
  cpu: { healthS?: number; idleS?: number; probes?: number };
  errors: string[];
}

const VARIANTS: [keyof LimitsFigures['run'], string[]][] = [
  ['unconfined', ['--security-opt', 'seccomp=unconfined']],
  ['seccomp', []],
  ['limits', ['--memory', '64m', '--cpus', '1', '--pids-limit', '100', '--cpu-shares', '512']],
];

/** utime + stime of a process in seconds (USER_HZ 100). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function fleetCpu(
  d: Daemon,
  env: NodeJS.ProcessEnv,
  health: boolean,
  errors: string[],
): Promise<number | undefined> {
  const ids: string[] = [];
  try {
    for (let i = 0; i < FLEET; i++) {
      const flags = health ? ['--health-cmd', 'true', '--health-interval', '1s'] : [];
      const r = await runCmd(DOCKER, ['run', '-d', '--network', 'none', ...flags, 'busybox', 'sleep', '600'], env);
      if (r.code !== 0) throw new Error(`docker run -d: ${r.stderr.trim()}`);
      ids.push(r.stdout.trim());
    }
    await sleep(3000); // past the first probes and the start-up work
    const before = cpuSeconds(d.pid);
    await sleep(WINDOW_S * 1000);
    return cpuSeconds(d.pid) - before;
  } catch (e) {
    errors.push(`${health ? 'healthchecked' : 'plain'} fleet: ${(e as Error).message}`);
    return undefined;
  } finally {
    if (ids.length) await runCmd(DOCKER, ['rm', '-f', ...ids], env, 120_000);
  }
}

export async function limitsBench(i: {
  berthd: Daemon;
  env: (d: Daemon) => NodeJS.ProcessEnv;
  runs: number;
  warmup: number;
}): Promise<LimitsFigures> {
  const res: LimitsFigures = { run: {}, cpu: {}, errors: [] };
  const env = i.env(i.berthd);
  const samples = VARIANTS.map(() => [] as number[]);
  for (let n = 0; n < i.warmup + i.runs; n++) {
    for (const [k, [name, flags]] of VARIANTS.entries()) {
      const r = await runCmd(DOCKER, ['run', '--rm', '--network', 'none', ...flags, 'busybox', 'true'], env);
      if (r.code !== 0) {
        res.errors.push(`${name}: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
        return res;
      }
      if (n >= i.warmup) samples[k].push(r.ms);
    }
  }
  for (const [k, [name]] of VARIANTS.entries()) res.run[name] = summarize(samples[k]);
  res.cpu.idleS = await fleetCpu(i.berthd, env, false, res.errors);
  res.cpu.healthS = await fleetCpu(i.berthd, env, true, res.errors);
  res.cpu.probes = FLEET * WINDOW_S;
  return res;
}

export function limitsReport(f: LimitsFigures | undefined, runs: number): string[] {
  if (!f) return [];
  const base = f.run.unconfined?.median;
  const delta = (s: Summary | undefined) => {
    if (!s || base === undefined) return 'n/a';
    const d = s.median - base;
    return d < 0 ? `−${ms(-d)}` : `+${ms(d)}`; // a negative delta is noise under the goal, shown as such
  };
  const added = f.run.limits && base !== undefined ? f.run.limits.median - base : NaN;
  const cpu = (v: number | undefined) => (v === undefined ? 'n/a' : `${round(v, 2)} s`);
  return [
    '',
    `11. Limits and seccomp: \`docker run --rm --network none busybox true\` → berthd (median of ${runs}, interleaved)`,
    table([
      ['variant', 'median', 'p90', 'vs no limits, unconfined'],
      ['no limits, seccomp=unconfined', ms(f.run.unconfined?.median), ms(f.run.unconfined?.p90), ''],
      ['default (seccomp profile)', ms(f.run.seccomp?.median), ms(f.run.seccomp?.p90), delta(f.run.seccomp)],
      [
        '--memory --cpus --pids-limit --cpu-shares + seccomp',
        ms(f.run.limits?.median),
        ms(f.run.limits?.p90),
        delta(f.run.limits),
      ],
    ]),
    Number.isFinite(added)
      ? `limits + seccomp add ${round(added, 1)} ms — goal ≤ ${LIMITS_GOAL_MS} ms: ${added <= LIMITS_GOAL_MS ? 'MET' : 'NOT MET'}`
      : 'limits + seccomp: n/a',
    '',
    `12. berthd CPU over ${WINDOW_S} s with ${FLEET} running containers`,
    table([
      ['containers', 'berthd CPU', 'per probe'],
      [`${FLEET} × sleep, no healthcheck`, cpu(f.cpu.idleS), ''],
      [
        `${FLEET} × --health-cmd true --health-interval 1s`,
        cpu(f.cpu.healthS),
        f.cpu.healthS !== undefined && f.cpu.probes
          ? `${round(((f.cpu.healthS - (f.cpu.idleS ?? 0)) * 1000) / f.cpu.probes, 2)} ms`
          : 'n/a',
      ],
    ]),
    ...(f.errors.length ? ['limits errors:', ...f.errors] : []),
  ];
}
