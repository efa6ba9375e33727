// berth unpause CONTAINER [CONTAINER...]

import type { Command } from '../command.ts';
import { forEachName } from './_multi.ts';
import { containerUnpause } from '../../client/interactive.ts';

const command: Command = {
  name: 'unpause',
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Unpause all processes within one or more containers',
  aliases: 'berth container unpause, berth unpause',
  flags: [],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    await forEachName(ctx, ctx.args, (name) => containerUnpause(client, name));
  },
};

export default command;
