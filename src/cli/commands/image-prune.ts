// berth image prune [OPTIONS]

import { flagBool, flagList, parseFilters, type Command } from '../command.ts';
import { humanSize } from '../format/units.ts';
import { confirm } from './_prompt.ts';

const DANGLING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
const ALL =
  'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';

const command: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
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
    const all = flagBool(ctx, 'all');
    if (!flagBool(ctx, 'force') && !(await confirm(ctx, all ? ALL : DANGLING))) return 0;
    const filters = parseFilters(flagList(ctx, 'filter'));
    filters.dangling = { [all ? 'false' : 'true']: true };
    const client = await ctx.client();
    const r = await client.imagePrune(filters);
    let out = '';
    if (r.ImagesDeleted?.length) {
      out = 'Deleted Images:\n';
      for (const st of r.ImagesDeleted) out += st.Untagged ? `untagged: ${st.Untagged}\n` : `deleted: ${st.Deleted}\n`;
    }
    if (out) ctx.io.out(`${out}\n`);
    ctx.io.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};

export default command;
