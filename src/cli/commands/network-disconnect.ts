// berth network disconnect [OPTIONS] NETWORK CONTAINER
import { flagBool, type Command } from '../command.ts';
import { networkDisconnect } from '../../client/networks.ts';

const command: Command = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  args: { exact: 2 },
  async run(ctx) {
    const [net, container] = ctx.args as [string, string];
    await networkDisconnect(await ctx.client(), net, {
      Container: container,
      Force: flagBool(ctx, 'force'),
    });
  },
};

export default command;
