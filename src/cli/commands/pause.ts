// berth pause CONTAINER [CONTAINER...]

import type { Command } from '../command.ts';
import { forEachName } from './_multi.ts';
import { containerPause } from '../../client/interactive.ts';

const command: Command = {
  name: 'pause',
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Pause all processes within one or more containers',
  aliases: 'berth container pause, berth pause',
  flags: [],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    await forEachName(ctx, ctx.args, (name) => containerPause(client, name));
  },
};

export default command;
