// berth stats [OPTIONS] [CONTAINER...]: Docker's table (CPU %, memory usage / limit, net and
// block I/O, pids), once with --no-stream, else redrawn each second.

import { flagBool, flagStr, type Command, type Ctx } from '../command.ts';
import { renderRows, type Row } from '../format/formatter.ts';
import { bytesSize, humanSizeWithPrecision } from '../format/units.ts';
import { containerStats, jsonLines } from '../../client/interactive.ts';
import type { Client } from '../../client/index.ts';
import type { ContainerStatsResponse as StatsJSON, CPUStats } from '../../client/index.ts';

const DEFAULT_FORMAT =
  'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const HEADER = {
  ID: 'CONTAINER ID',
  Container: 'CONTAINER',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

/** The CLI's calculations (cli/command/container/stats_helpers.go); any part may be missing. */
export function statsRow(s: Partial<StatsJSON>, key: string, noTrunc: boolean): Row {
  const cpu: Partial<CPUStats> = s.cpu_stats ?? {};
  const pre: Partial<CPUStats> = s.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 0;
  const cpuPerc = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const mem = s.memory_stats ?? {};
  const usage = mem.usage ?? 0;
  const inactive = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file;
  const memUsed = inactive !== undefined && inactive < usage ? usage - inactive : usage;
  const limit = mem.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let blkRead = 0;
  let blkWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (/^read$/i.test(e.op)) blkRead += e.value;
    else if (/^write$/i.test(e.op)) blkWrite += e.value;
  }
  const id = s.id ?? '';
  const running = Boolean(s.read && !s.read.startsWith('0001-'));
  const pct = (v: number) => `${v.toFixed(2)}%`;
  return {
    ID: noTrunc ? id : id.slice(0, 12),
    Container: key,
    Name: (s.name ?? '').replace(/^\//, '') || '--',
    CPUPerc: running ? pct(cpuPerc) : '--',
    MemUsage: running ? `${bytesSize(memUsed)} / ${bytesSize(limit)}` : '-- / --',
    MemPerc: running ? pct(limit ? (memUsed / limit) * 100 : 0) : '--',
    NetIO: running ? `${humanSizeWithPrecision(rx, 3)} / ${humanSizeWithPrecision(tx, 3)}` : '--',
    BlockIO: running ? `${humanSizeWithPrecision(blkRead, 3)} / ${humanSizeWithPrecision(blkWrite, 3)}` : '--',
    PIDs: running ? String(s.pids_stats?.current ?? 0) : '--',
  };
}

async function targets(ctx: Ctx, client: Client): Promise<string[]> {
  if (ctx.args.length) return ctx.args;
  const list = await client.containerList({ all: flagBool(ctx, 'all') });
  return list.map((c) => c.Id);
}

const command: Command = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  short: 'Display a live stream of container(s) resource usage statistics',
  aliases: 'berth container stats, berth stats',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
  ],
  async run(ctx) {
    const client = await ctx.client();
    const format = flagStr(ctx, 'format') || DEFAULT_FORMAT;
    const noTrunc = flagBool(ctx, 'no-trunc');
    const names = await targets(ctx, client);
    if (flagBool(ctx, 'no-stream')) {
      const rows = await Promise.all(
        names.map(async (n) => {
          const res = await containerStats(client, n, false);
          for await (const s of jsonLines<StatsJSON>(res)) return statsRow(s, n, noTrunc);
          return statsRow({}, n, noTrunc);
        }),
      );
      ctx.io.out(renderRows(format, rows, HEADER));
      return;
    }
    const latest = new Map<string, Row>(names.map((n) => [n, statsRow({}, n, noTrunc)]));
    const ac = new AbortController();
    ctx.onExit(() => ac.abort());
    const streams = names.map(async (n) => {
      try {
        const res = await containerStats(client, n, true, ac.signal);
        for await (const s of jsonLines<StatsJSON>(res)) latest.set(n, statsRow(s, n, noTrunc));
      } catch {
        /* the container went away: its last row stays */
      }
    });
    const draw = () => ctx.io.out(`\x1b[2J\x1b[H${renderRows(format, [...latest.values()], HEADER)}`);
    const timer = setInterval(draw, 1000);
    ctx.onExit(() => clearInterval(timer));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      void Promise.all(streams).then(() => resolve());
    });
    draw();
  },
};

export default command;
