// berth container prune [OPTIONS]

import { flagBool, flagList, parseFilters, type Command } from '../command.ts';
import { humanSize } from '../format/units.ts';
import { confirm } from './_prompt.ts';

const WARNING = 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?';

const command: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove all stopped containers',
  flags: [
    {
      name: 'filter',
      type: 'list',
      description: 'Provide filter values (e.g. "until=<timestamp>")',
      valueName: 'filter',
    },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx) {
    if (!flagBool(ctx, 'force') && !(await confirm(ctx, WARNING))) return 0;
    const client = await ctx.client();
    const r = await client.containerPrune(parseFilters(flagList(ctx, 'filter')));
    let out = '';
    if (r.ContainersDeleted?.length)
      out = `Deleted Containers:\n${r.ContainersDeleted.map((id) => `${id}\n`).join('')}`;
    if (out) ctx.io.out(`${out}\n`);
    ctx.io.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};

export default command;
