// berth update [OPTIONS] CONTAINER [CONTAINER...]: changes limits (and the restart policy)
// of containers; a running one's cgroup changes at once. Only the flags given are sent.

import type { ContainerUpdateBody } from '../../client/index.ts';
import { CliError, flagInt, flagStr, type Command } from '../command.ts';
import { forEachName } from './_multi.ts';
import { memBytes, parseCpus, parseRestartPolicy } from './container-values.ts';

const command: Command = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  aliases: 'berth container update, berth update',
  flags: [
    {
      name: 'blkio-weight',
      type: 'int',
      description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable',
    },
    { name: 'cpu-period', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-rt-period', type: 'int', description: 'Limit the CPU real-time period in microseconds' },
    { name: 'cpu-rt-runtime', type: 'int', description: 'Limit the CPU real-time runtime in microseconds' },
    { name: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
    { name: 'cpus', type: 'string', description: 'Number of CPUs' },
    { name: 'cpuset-cpus', type: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', type: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)' },
    { name: 'memory', short: 'm', type: 'string', description: 'Memory limit' },
    { name: 'memory-reservation', type: 'string', description: 'Memory soft limit' },
    {
      name: 'memory-swap',
      type: 'string',
      description: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
    },
    { name: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', type: 'string', description: 'Restart policy to apply when a container exits' },
  ],
  args: { min: 1 },
  async run(ctx) {
    if (ctx.changed.size === 0) throw new CliError('you must provide one or more flags when using this command', 1);
    const body: ContainerUpdateBody = {};
    const num = (flag: string) => (ctx.changed.has(flag) ? flagInt(ctx, flag) : undefined);
    const mem = (flag: string) => {
      const v = flagStr(ctx, flag);
      if (v === '') return undefined;
      return v === '-1' && flag === 'memory-swap' ? -1 : memBytes(`--${flag}`, v);
    };
    try {
      body.BlkioWeight = num('blkio-weight');
      body.CpuPeriod = num('cpu-period');
      body.CpuQuota = num('cpu-quota');
      body.CpuRealtimePeriod = num('cpu-rt-period');
      body.CpuRealtimeRuntime = num('cpu-rt-runtime');
      body.CpuShares = num('cpu-shares');
      if (flagStr(ctx, 'cpus')) body.NanoCpus = parseCpus(flagStr(ctx, 'cpus'));
      if (flagStr(ctx, 'cpuset-cpus')) body.CpusetCpus = flagStr(ctx, 'cpuset-cpus');
      if (flagStr(ctx, 'cpuset-mems')) body.CpusetMems = flagStr(ctx, 'cpuset-mems');
      body.Memory = mem('memory');
      body.MemoryReservation = mem('memory-reservation');
      body.MemorySwap = mem('memory-swap');
      if (ctx.changed.has('pids-limit')) body.PidsLimit = flagInt(ctx, 'pids-limit');
      if (ctx.changed.has('restart'))
        body.RestartPolicy = parseRestartPolicy(flagStr(ctx, 'restart')) as ContainerUpdateBody['RestartPolicy'];
    } catch (e) {
      throw new CliError((e as Error).message, 125);
    }
    const client = await ctx.client();
    const warned = new Set<string>();
    await forEachName(ctx, ctx.args, async (name) => {
      const r = await client.containerUpdate(name, body);
      for (const w of r.Warnings ?? [])
        if (!warned.has(w)) {
          warned.add(w);
          ctx.io.err(`${w}\n`);
        }
    });
  },
};

export default command;
