// berth ps [OPTIONS]

import { flagBool, flagInt, flagList, flagStr, parseFilters, type Command } from '../command.ts';
import { renderContainers } from '../format/containers.ts';

const command: Command = {
  name: 'ps',
  usage: '[OPTIONS]',
  short: 'List containers',
  aliases: 'berth container ls, berth container list, berth container ps, berth ps',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    {
      name: 'filter',
      short: 'f',
      type: 'list',
      description: 'Filter output based on conditions provided',
      valueName: 'filter',
    },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    {
      name: 'last',
      short: 'n',
      type: 'int',
      description: 'Show n last created containers (includes all states)',
      default: -1,
    },
    {
      name: 'latest',
      short: 'l',
      type: 'bool',
      description: 'Show the latest created container (includes all states)',
    },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const format = flagStr(ctx, 'format');
    const quiet = flagBool(ctx, 'quiet');
    if (format && quiet) ctx.io.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    let limit = flagInt(ctx, 'last');
    if (flagBool(ctx, 'latest') && limit === -1) limit = 1;
    let size = flagBool(ctx, 'size');
    if (format && !quiet && !size && !ctx.changed.has('size') && /\.Size\b/.test(format)) size = true;
    if (format) {
      // validate the template before calling the daemon, as docker does
      const { compile } = await import('../template/index.ts');
      const { templateString } = await import('../format/formatter.ts');
      try {
        compile(templateString(format));
      } catch (e) {
        throw new Error(`failed to parse template: ${(e as Error).message}`);
      }
    }
    const client = await ctx.client();
    const list = await client.containerList({
      all: flagBool(ctx, 'all'),
      limit,
      size,
      filters: parseFilters(flagList(ctx, 'filter')),
    });
    ctx.io.out(renderContainers(list, { format, quiet, size, trunc: !flagBool(ctx, 'no-trunc') }));
  },
};

export default command;
