// berth rename CONTAINER NEW_NAME

import { CliError, type Command } from '../command.ts';
import { errText } from './_multi.ts';

const command: Command = {
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  aliases: 'berth container rename, berth rename',
  flags: [],
  args: { exact: 2 },
  async run(ctx) {
    const oldName = ctx.args[0]!.trim();
    const newName = ctx.args[1]!.trim();
    if (oldName === '' || newName === '') throw new CliError('Error: Neither old nor new names may be empty', 1);
    const client = await ctx.client();
    try {
      await client.containerRename(oldName, newName);
    } catch (e) {
      ctx.io.err(`${errText(e)}\n`);
      throw new CliError(`Error: failed to rename container named ${oldName}`, 1);
    }
  },
};

export default command;
