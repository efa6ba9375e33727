// berth search [OPTIONS] TERM
import { flagBool, flagInt, flagList, parseFilters, type Command } from '../command.ts';
import { registryAuthHeader } from '../auth-config.ts';
import { imageSearch } from '../../client/images.ts';

const command: Command = {
  name: 'search',
  usage: '[OPTIONS] TERM',
  short: 'Search Docker Hub for images',
  aliases: 'berth search',
  flags: [
    { name: 'filter', short: 'f', type: 'list', description: 'Filter output based on conditions provided' },
    { name: 'limit', type: 'int', description: 'Max number of search results' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const term = ctx.args[0];
    const res = await imageSearch(await ctx.client(), term, {
      limit: flagInt(ctx, 'limit'),
      filters: parseFilters(flagList(ctx, 'filter')),
      registryAuth: registryAuthHeader(ctx.env, term),
    });
    const trunc = !flagBool(ctx, 'no-trunc');
    const rows = [
      ['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'],
      ...res.map((r) => [
        r.name,
        trunc && r.description.length > 45 ? r.description.slice(0, 42) + '...' : r.description,
        String(r.star_count),
        r.is_official ? '[OK]' : '',
      ]),
    ];
    const w = rows[0].map((_c, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows)
      ctx.io.out(
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + 3)))
          .join('')
          .trimEnd() + '\n',
      );
  },
};

export default command;
