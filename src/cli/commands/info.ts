// berth info [OPTIONS]

import { flagStr, type Command } from '../command.ts';
import { bytesSize } from '../format/units.ts';
import type { SystemInfo } from '../../client/index.ts';

const command: Command = {
  name: 'info',
  usage: '[OPTIONS]',
  short: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' }],
  args: { max: 0 },
  async run(ctx) {
    const info = await (await ctx.client()).info();
    const format = flagStr(ctx, 'format');
    if (format) {
      const { compile, render } = await import('../template/index.ts');
      ctx.io.out(`${render(compile(format === 'json' ? '{{json .}}' : format), info)}\n`);
      return;
    }
    // Another engine's /info may leave fields out.
    const i: Partial<SystemInfo> = info;
    const lines = [
      'Server:',
      ` Containers: ${i.Containers ?? 0}`,
      `  Running: ${i.ContainersRunning ?? 0}`,
      `  Paused: ${i.ContainersPaused ?? 0}`,
      `  Stopped: ${i.ContainersStopped ?? 0}`,
      ` Images: ${i.Images ?? 0}`,
      ` Server Version: ${i.ServerVersion ?? ''}`,
      ` Storage Driver: ${i.Driver ?? ''}`,
      ` Logging Driver: ${i.LoggingDriver ?? ''}`,
      ` Cgroup Driver: ${i.CgroupDriver ?? ''}`,
      ` Cgroup Version: ${i.CgroupVersion ?? ''}`,
      ` Kernel Version: ${i.KernelVersion ?? ''}`,
      ` Operating System: ${i.OperatingSystem ?? ''}`,
      ` OSType: ${i.OSType ?? ''}`,
      ` Architecture: ${i.Architecture ?? ''}`,
      ` CPUs: ${i.NCPU ?? ''}`,
      ` Total Memory: ${typeof i.MemTotal === 'number' ? bytesSize(i.MemTotal) : ''}`,
      ` Name: ${i.Name ?? ''}`,
      ` ID: ${i.ID ?? ''}`,
      ` Docker Root Dir: ${i.DockerRootDir ?? ''}`,
    ];
    ctx.io.out(`${lines.join('\n')}\n`);
  },
};

export default command;
