// scripts/soak: a long run of berthd under bounded concurrent clients (run, exec, logs,
// builds, network connect/disconnect) with a SIGKILL every few minutes. At the end, with
// the clients stopped: berthd's resident memory against its start, and everything that
// should not be there (runc tasks, shims, veths, namespaces, bundles, mounts, stray
// directories, descriptors), and the witness container's log lines across every kill.
// Not part of scripts/test. SOAK_MINUTES (30), SOAK_KILL_MINUTES ("3-5").
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBusybox, startDaemon, type TestDaemon } from './helpers/daemon.ts';
import { inconsistencies, logGaps } from './helpers/invariants.ts';
import { startWorkload } from './helpers/workload.ts';

const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const [killMin, killMax] = (process.env.SOAK_KILL_MINUTES ?? '3-5').split('-').map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (msg: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const rssMb = (d: TestDaemon) =>
  Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))![1]) / 1024;
const fds = (d: TestDaemon) => readdirSync(`/proc/${d.proc.pid}/fd`).length;

async function quiet(d: TestDaemon): Promise<{ rss: number; fds: number }> {
  // Let exits, restarts and removals settle, then let V8 give back what it can.
  await sleep(10_000);
  return { rss: rssMb(d), fds: fds(d) };
}

async function main(): Promise<void> {
  const d = await startDaemon();
  const report: Record<string, unknown> = { minutes, killEveryMinutes: [killMin, killMax] };
  try {
    await importBusybox(d);
    const net = (await d.api('POST', '/networks/create', { body: { Name: 'soak-net' } })).json().Id as string;
    const witness = (
      await d.api('POST', '/containers/create', {
        body: {
          Image: 'busybox',
          Cmd: ['sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); usleep 20000; done'],
        },
      })
    ).json().Id as string;
    await d.api('POST', `/containers/${witness}/start`);
    // The baseline: a berthd that has been up a minute under the same load.
    let work = startWorkload(d, { network: net, runners: 2, execs: 2, builders: 1, logReaders: 2, maxContainers: 10 });
    await sleep(60_000);
    await work.stop();
    const start = await quiet(d);
    report.start = start;
    say(`baseline: RSS ${start.rss.toFixed(1)} MB, ${start.fds} fds`);

    work = startWorkload(d, { network: net, runners: 2, execs: 2, builders: 1, logReaders: 2, maxContainers: 10 });
    const end = Date.now() + minutes * 60_000;
    const kills: { at: string; rssBefore: number }[] = [];
    const samples: number[] = [];
    let nextKill = Date.now() + (killMin + Math.random() * (killMax - killMin)) * 60_000;
    while (Date.now() < end) {
      await sleep(15_000);
      samples.push(rssMb(d));
      if (Date.now() >= nextKill && nextKill < end - killMin * 60_000) {
        const before = rssMb(d);
        say(`SIGKILL (RSS ${before.toFixed(1)} MB, ${work.counts.calls} calls so far)`);
        await d.stop('SIGKILL');
        await sleep(500 + Math.random() * 2000);
        await d.start();
        kills.push({ at: new Date().toISOString(), rssBefore: before });
        nextKill = Date.now() + (killMin + Math.random() * (killMax - killMin)) * 60_000;
      }
    }
    await work.stop();
    const last = await quiet(d);
    report.end = last;
    report.kills = kills;
    report.calls = work.counts;
    report.rssSamplesMb = { min: Math.min(...samples), max: Math.max(...samples) };
    const problems = await inconsistencies(d);
    const log = await logGaps(d, witness);
    report.leaks = problems;
    report.witness = log;
    const growth = (last.rss - start.rss) / start.rss;
    report.rssGrowth = `${(growth * 100).toFixed(1)}%`;
    say(`end: RSS ${last.rss.toFixed(1)} MB (${report.rssGrowth} against the baseline), ${last.fds} fds`);
    say(`${kills.length} kills, ${work.counts.calls} calls (${work.counts.failed} failed while down or refused)`);
    say(`witness log: ${log.lines} lines, ${log.gaps.length} gaps`);
    say(problems.length ? `LEAKS: ${problems.join('; ')}` : 'nothing leaked');
    writeFileSync(join(process.cwd(), 'soak-report.json'), JSON.stringify(report, null, 2) + '\n');
    for (const c of (await d.api('GET', '/containers/json?all=1')).json())
      await d.api('DELETE', `/containers/${c.Id}?force=1`);
    await d.api('DELETE', `/networks/${net}`);
    if (problems.length || log.gaps.length || growth > 0.2) process.exitCode = 1;
  } finally {
    await d.cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`soak: ${(err as Error).stack}\n`);
  process.exit(1);
});
