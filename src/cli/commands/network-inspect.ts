// berth network inspect NETWORK [NETWORK...]
import { CliError, type Command } from '../command.ts';
import { networkInspect } from '../../client/networks.ts';
import type { NetworkInspect } from '../../client/index.ts';
import { errText } from './_multi.ts';

const command: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' }],
  args: { min: 1 },
  async run(ctx) {
    const out: NetworkInspect[] = [];
    let failed = false;
    for (const n of ctx.args) {
      try {
        out.push(await networkInspect(await ctx.client(), n));
      } catch (e) {
        ctx.io.err(`${errText(e)}\n`);
        failed = true;
      }
    }
    ctx.io.out(JSON.stringify(out, null, 4) + '\n');
    if (failed) throw new CliError('', 1);
  },
};

export default command;
