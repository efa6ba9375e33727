// berth volume rm [OPTIONS] VOLUME [VOLUME...]
import { flagBool, type Command } from '../command.ts';
import { forEachName } from './_multi.ts';
import { volumeRemove } from '../../client/volumes.ts';

const command: Command = {
  name: 'rm',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  aliases: 'berth volume rm, berth volume remove',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  args: { min: 1 },
  async run(ctx) {
    const force = flagBool(ctx, 'force');
    const client = await ctx.client();
    await forEachName(ctx, ctx.args, (name) => volumeRemove(client, name, { force }), { parallel: false });
  },
};

export default command;
