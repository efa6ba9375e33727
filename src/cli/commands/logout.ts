// berth logout [SERVER]
import type { Command } from '../command.ts';
import { registryKey, removeAuth } from '../auth-config.ts';

const command: Command = {
  name: 'logout',
  usage: '[SERVER]',
  short: 'Log out from a registry',
  aliases: 'berth logout',
  flags: [],
  args: { max: 1 },
  async run(ctx) {
    const server = registryKey(ctx.args[0]);
    if (!removeAuth(ctx.env, server)) ctx.io.out(`Not logged in to ${server}\n`);
    else ctx.io.out(`Removing login credentials for ${server}\n`);
  },
};

export default command;
