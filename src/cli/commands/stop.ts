// berth stop [OPTIONS] CONTAINER [CONTAINER...]

import { flagInt, flagStr, type Command } from '../command.ts';
import { forEachName } from './_multi.ts';

const command: Command = {
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  aliases: 'berth container stop, berth stop',
  flags: [
    { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
    { name: 'time', short: 't', type: 'int', description: 'Seconds to wait before killing the container' },
    {
      name: 'timeout',
      type: 'int',
      description: 'Seconds to wait before killing the container',
      aliasOf: 'time',
      hidden: true,
    },
  ],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const opts = {
      signal: flagStr(ctx, 'signal') || undefined,
      timeout: ctx.changed.has('time') ? flagInt(ctx, 'time') : undefined,
    };
    await forEachName(ctx, ctx.args, (name) => client.containerStop(name, opts), { parallel: true });
  },
};

export default command;
