// berth network ls [OPTIONS]
import { flagBool, flagList, flagStr, parseFilters, type Command } from '../command.ts';
import { columns } from './_network.ts';
import { networkList } from '../../client/networks.ts';
import type { NetworkSummary as Net } from '../../client/index.ts';

const command: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  short: 'List networks',
  flags: [
    { name: 'filter', short: 'f', type: 'list', description: 'Provide filter values (e.g. "driver=bridge")' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
    { name: 'format', type: 'string', description: 'Format output: {{.Name}}, {{.ID}}, {{.Driver}}, {{.Scope}}' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const nets = await networkList(await ctx.client(), parseFilters(flagList(ctx, 'filter')));
    const id = (n: Net) => (flagBool(ctx, 'no-trunc') ? n.Id : n.Id.slice(0, 12));
    if (flagBool(ctx, 'quiet')) {
      ctx.io.out(nets.map((n) => `${id(n)}\n`).join(''));
      return;
    }
    const fmt = flagStr(ctx, 'format');
    if (fmt) {
      const fields: Record<string, (n: Net) => string> = {
        ID: id,
        Name: (n) => n.Name,
        Driver: (n) => n.Driver,
        Scope: (n) => n.Scope,
      };
      ctx.io.out(
        nets.map((n) => fmt.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k: string) => fields[k]?.(n) ?? '') + '\n').join(''),
      );
      return;
    }
    ctx.io.out(
      columns([['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], ...nets.map((n) => [id(n), n.Name, n.Driver, n.Scope])]),
    );
  },
};

export default command;
