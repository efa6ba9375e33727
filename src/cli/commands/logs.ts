// berth logs [OPTIONS] CONTAINER

import { flagBool, flagStr, type Command } from '../command.ts';
import { getTimestamp } from '../format/units.ts';

const command: Command = {
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  aliases: 'berth container logs, berth logs',
  flags: [
    { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    {
      name: 'since',
      type: 'string',
      description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    },
    {
      name: 'tail',
      short: 'n',
      type: 'string',
      description: 'Number of lines to show from the end of the logs',
      default: 'all',
    },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    {
      name: 'until',
      type: 'string',
      description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const { value: c } = await client.containerInspect(ctx.args[0]!);
    const since = flagStr(ctx, 'since');
    const until = flagStr(ctx, 'until');
    const res = await client.containerLogs(c.Id, {
      stdout: true,
      stderr: true,
      follow: flagBool(ctx, 'follow'),
      since: since ? getTimestamp(since) : undefined,
      until: until ? getTimestamp(until) : undefined,
      timestamps: flagBool(ctx, 'timestamps'),
      tail: flagStr(ctx, 'tail'),
      details: flagBool(ctx, 'details'),
    });
    if (c.Config?.Tty) {
      for await (const chunk of res) ctx.io.out(chunk as Buffer);
    } else {
      const { stdCopy } = await import('../../client/stdcopy.ts');
      await stdCopy(res, { write: (b) => ctx.io.out(b) }, { write: (b) => ctx.io.err(b) });
    }
  },
};

export default command;
