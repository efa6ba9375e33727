// berth port CONTAINER [PRIVATE_PORT[/PROTO]]
import { CliError, type Command } from '../command.ts';

const command: Command = {
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx) {
    const client = await ctx.client();
    const { value } = await client.containerInspect(ctx.args[0]!);
    const ports =
      (
        value as unknown as {
          NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> };
        }
      ).NetworkSettings?.Ports ?? {};
    const want = ctx.args[1];
    const key = want ? (want.includes('/') ? want : `${want}/tcp`) : undefined;
    const lines: string[] = [];
    for (const [k, bs] of Object.entries(ports)) {
      if (key && k !== key) continue;
      for (const b of bs ?? []) lines.push(key ? `${b.HostIp}:${b.HostPort}` : `${k} -> ${b.HostIp}:${b.HostPort}`);
    }
    if (key && !lines.length) throw new CliError(`Error: No public port '${key}' published for ${ctx.args[0]}`, 1);
    if (lines.length) ctx.io.out(lines.join('\n') + '\n');
  },
};

export default command;
