// berth version [OPTIONS]

import { flagStr, type Command } from '../command.ts';
import { API_VERSION } from '../../client/transport.ts';
import { errText } from './_multi.ts';
import type { SystemVersion } from '../../client/index.ts';

const command: Command = {
  name: 'version',
  usage: '[OPTIONS]',
  short: 'Show the Berth version information',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' }],
  args: { max: 0 },
  async run(ctx) {
    const { cliVersion } = await import('../version.ts');
    const clientInfo = {
      Platform: { Name: 'Berth' },
      Version: await cliVersion(),
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      GoVersion: `node ${process.versions.node}`,
      Os: process.platform,
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      Context: 'default',
    };
    let server: SystemVersion | undefined;
    let serverErr: unknown;
    try {
      server = await (await ctx.client()).version();
    } catch (e) {
      serverErr = e;
    }
    const format = flagStr(ctx, 'format');
    if (format) {
      const { compile, render } = await import('../template/index.ts');
      ctx.io.out(`${render(compile(format), { Client: clientInfo, Server: server ?? null })}\n`);
    } else {
      const pad = (k: string, v: unknown, w = 18) => `${k}:${' '.repeat(Math.max(1, w - k.length))}${v ?? ''}`;
      const lines = [
        'Client:',
        ` ${pad('Version', clientInfo.Version, 17)}`,
        ` ${pad('API version', clientInfo.ApiVersion, 17)}`,
        ` ${pad('Node version', process.versions.node, 17)}`,
        ` ${pad('OS/Arch', `${clientInfo.Os}/${clientInfo.Arch}`, 17)}`,
        ` ${pad('Context', 'default', 17)}`,
      ];
      if (server) {
        const s = server;
        lines.push(
          '',
          `Server: ${s.Platform?.Name ?? 'Berth Engine'}`,
          ' Engine:',
          `  ${pad('Version', s.Version, 16)}`,
          `  ${pad('API version', `${s.ApiVersion} (minimum version ${s.MinAPIVersion})`, 16)}`,
          `  ${pad('OS/Arch', `${s.Os}/${s.Arch}`, 16)}`,
          ...(s.KernelVersion ? [`  ${pad('Kernel version', s.KernelVersion, 16)}`] : []),
        );
      }
      ctx.io.out(`${lines.join('\n')}\n`);
    }
    if (serverErr) {
      ctx.io.err(`${errText(serverErr)}\n`);
      return 1;
    }
    return 0;
  },
};

export default command;
