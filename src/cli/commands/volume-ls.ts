// berth volume ls [OPTIONS]
import { flagBool, flagList, flagStr, parseFilters, type Command } from '../command.ts';
import { renderVolumes } from '../format/volumes.ts';
import { volumeList } from '../../client/volumes.ts';

const command: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  short: 'List volumes',
  aliases: 'berth volume ls, berth volume list',
  flags: [
    { name: 'filter', short: 'f', type: 'list', description: 'Provide filter values (e.g. "dangling=true")' },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const r = await volumeList(await ctx.client(), parseFilters(flagList(ctx, 'filter')));
    for (const w of r.Warnings ?? []) ctx.io.err(`${w}\n`);
    ctx.io.out(renderVolumes(r.Volumes ?? [], { format: flagStr(ctx, 'format'), quiet: flagBool(ctx, 'quiet') }));
  },
};

export default command;
