// berth rmi [OPTIONS] IMAGE [IMAGE...]

import { CliError, flagBool, type Command } from '../command.ts';
import { errText } from './_multi.ts';

const command: Command = {
  name: 'rmi',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  aliases: 'berth image rm, berth image remove, berth rmi',
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
  ],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const force = flagBool(ctx, 'force');
    const errs: string[] = [];
    let fatal = false;
    for (const img of ctx.args) {
      try {
        const dels = await client.imageRemove(img, { force, noprune: flagBool(ctx, 'no-prune') });
        for (const d of dels ?? []) ctx.io.out(d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged}\n`);
      } catch (e) {
        if ((e as { status?: number }).status !== 404) fatal = true;
        errs.push(errText(e));
      }
    }
    if (errs.length) {
      const msg = errs.join('\n');
      if (!force || fatal) throw new CliError(msg, 1);
      ctx.io.err(`${msg}\n`);
    }
  },
};

export default command;
