// berth wait CONTAINER [CONTAINER...]

import { CliError, type Command } from '../command.ts';
import { errText } from './_multi.ts';

const command: Command = {
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  aliases: 'berth container wait, berth wait',
  flags: [],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const errs: string[] = [];
    for (const name of ctx.args) {
      try {
        const w = await client.containerWait(name);
        const r = await w.result;
        ctx.io.out(`${r.StatusCode}\n`);
      } catch (e) {
        errs.push(errText(e));
      }
    }
    if (errs.length) throw new CliError(errs.join('\n'), 1);
  },
};

export default command;
