// berth volume inspect [OPTIONS] VOLUME [VOLUME...]
import { flagStr, type Command } from '../command.ts';
import { inspectRefs } from './inspect.ts';
import { volumeInspectRaw } from '../../client/volumes.ts';

const command: Command = {
  name: 'inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' }],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    await inspectRefs(ctx, ctx.args, flagStr(ctx, 'format'), (name) => volumeInspectRaw(client, name));
  },
};

export default command;
