// berth volume prune [OPTIONS]
import { CliError, flagBool, flagList, parseFilters, type Command } from '../command.ts';
import { humanSize } from '../format/units.ts';
import { confirm } from './_prompt.ts';
import { volumePrune } from '../../client/volumes.ts';

const ANONYMOUS_WARNING =
  'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING =
  'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

const command: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "label=<label>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const filters = parseFilters(flagList(ctx, 'filter'));
    let warning = ANONYMOUS_WARNING;
    if (flagBool(ctx, 'all')) {
      if (filters.all) throw new CliError('conflicting options: cannot specify both --all and --filter all=1', 125);
      filters.all = { true: true };
      warning = ALL_WARNING;
    }
    if (!flagBool(ctx, 'force') && !(await confirm(ctx, warning))) return 0;
    const r = await volumePrune(await ctx.client(), filters);
    let reclaimed = 0;
    if (r.VolumesDeleted?.length) {
      ctx.io.out(`Deleted Volumes:\n${r.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`);
      reclaimed = r.SpaceReclaimed ?? 0;
    }
    ctx.io.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};

export default command;
