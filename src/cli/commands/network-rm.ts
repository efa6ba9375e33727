// berth network rm NETWORK [NETWORK...]
import { CliError, type Command } from '../command.ts';
import { networkRemove } from '../../client/networks.ts';
import { errText } from './_multi.ts';

const command: Command = {
  name: 'rm',
  usage: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  args: { min: 1 },
  async run(ctx) {
    let failed = false;
    for (const n of ctx.args) {
      try {
        await networkRemove(await ctx.client(), n);
        ctx.io.out(`${n}\n`);
      } catch (e) {
        ctx.io.err(`${errText(e)}\n`);
        failed = true;
      }
    }
    if (failed) throw new CliError('', 1);
  },
};

export default command;
