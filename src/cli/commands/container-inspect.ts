// berth container inspect [OPTIONS] CONTAINER [CONTAINER...]

import { flagBool, flagStr, type Command } from '../command.ts';
import { inspectRefs } from './inspect.ts';

const command: Command = {
  name: 'inspect',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    await inspectRefs(
      ctx,
      ctx.args,
      flagStr(ctx, 'format'),
      async (ref) => (await client.containerInspect(ref, { size: flagBool(ctx, 'size') })).raw,
    );
  },
};

export default command;
