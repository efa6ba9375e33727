// berth images [OPTIONS] [REPOSITORY[:TAG]]

import { flagBool, flagList, flagStr, parseFilters, type Command } from '../command.ts';
import { renderImages } from '../format/images.ts';

const command: Command = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  aliases: 'berth image ls, berth image list, berth images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    {
      name: 'filter',
      short: 'f',
      type: 'list',
      description: 'Filter output based on conditions provided',
      valueName: 'filter',
    },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  args: { max: 1 },
  async run(ctx) {
    const filters = parseFilters(flagList(ctx, 'filter'));
    if (ctx.args[0]) (filters.reference ??= {})[ctx.args[0]] = true;
    const client = await ctx.client();
    const list = await client.imageList({ all: flagBool(ctx, 'all'), filters });
    ctx.io.out(
      renderImages(list, {
        format: flagStr(ctx, 'format') || 'table',
        quiet: flagBool(ctx, 'quiet'),
        digest: flagBool(ctx, 'digests'),
        trunc: !flagBool(ctx, 'no-trunc'),
      }),
    );
  },
};

export default command;
