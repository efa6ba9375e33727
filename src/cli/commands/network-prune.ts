// berth network prune [OPTIONS]
import { flagBool, flagList, parseFilters, type Command } from '../command.ts';
import { confirm } from './_prompt.ts';
import { networkPrune } from '../../client/networks.ts';

const command: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove all unused networks',
  flags: [
    { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx) {
    if (
      !flagBool(ctx, 'force') &&
      !(await confirm(
        ctx,
        'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?',
      ))
    )
      return 0;
    const r = await networkPrune(await ctx.client(), parseFilters(flagList(ctx, 'filter')));
    if (r.NetworksDeleted?.length) ctx.io.out(`Deleted Networks:\n${r.NetworksDeleted.join('\n')}\n`);
    return 0;
  },
};

export default command;
