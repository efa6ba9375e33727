// berth top CONTAINER [ps OPTIONS]

import type { Command } from '../command.ts';
import { tabwrite } from '../format/tabwriter.ts';
import { containerTop } from '../../client/interactive.ts';

const command: Command = {
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  aliases: 'berth container top, berth top',
  flags: [],
  interspersed: false,
  args: { min: 1 },
  async run(ctx) {
    const [name, ...ps] = ctx.args as [string, ...string[]];
    const client = await ctx.client();
    const r = await containerTop(client, name, ps.join(' '));
    const lines = [r.Titles, ...r.Processes].map((row) => row.join('\t') + '\n').join('');
    ctx.io.out(tabwrite(lines, 20, 3));
  },
};

export default command;
