// berth builder prune [OPTIONS]: POST /build/prune, printed as docker prints it.
import { CliError, flagBool, flagList, flagStr, parseFilters, type Command } from '../command.ts';
import { humanSize, ramInBytes } from '../format/units.ts';
import { confirm } from './_prompt.ts';
import { buildPrune } from '../../client/images.ts';

const DANGLING = 'WARNING! This will remove all dangling build cache.\nAre you sure you want to continue?';
const ALL = 'WARNING! This will remove all build cache.\nAre you sure you want to continue?';

const command: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove build cache',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused build cache, not just dangling ones' },
    { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "until=24h")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'keep-storage', type: 'string', description: 'Amount of disk space to keep for cache', valueName: 'bytes' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const all = flagBool(ctx, 'all');
    if (!flagBool(ctx, 'force') && !(await confirm(ctx, all ? ALL : DANGLING))) return 0;
    const keep = flagStr(ctx, 'keep-storage');
    let keepBytes: number | undefined;
    if (keep) {
      try {
        keepBytes = ramInBytes(keep);
      } catch {
        throw new CliError(`invalid argument "${keep}" for "--keep-storage" flag`, 125);
      }
    }
    const filters = parseFilters(flagList(ctx, 'filter'));
    const r = await buildPrune(await ctx.client(), { all, keepStorage: keepBytes, filters });
    let out = '';
    if (r.CachesDeleted?.length) out = `Deleted build cache objects:\n${r.CachesDeleted.join('\n')}\n\n`;
    ctx.io.out(`${out}Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};

export default command;
