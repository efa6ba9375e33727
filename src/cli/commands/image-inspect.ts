// berth image inspect [OPTIONS] IMAGE [IMAGE...]

import { flagStr, type Command } from '../command.ts';
import { inspectRefs } from './inspect.ts';

const command: Command = {
  name: 'inspect',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' }],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    await inspectRefs(ctx, ctx.args, flagStr(ctx, 'format'), async (ref) => (await client.imageInspect(ref)).raw);
  },
};

export default command;
