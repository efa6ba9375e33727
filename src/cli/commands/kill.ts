// berth kill [OPTIONS] CONTAINER [CONTAINER...]

import { flagStr, type Command } from '../command.ts';
import { forEachName } from './_multi.ts';

const command: Command = {
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  aliases: 'berth container kill, berth kill',
  flags: [{ name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' }],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const signal = flagStr(ctx, 'signal') || undefined;
    await forEachName(ctx, ctx.args, (name) => client.containerKill(name, signal));
  },
};

export default command;
