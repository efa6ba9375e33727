// berth network disconnect [OPTIONS] NETWORK CONTAINER
import { flagBool, type Command } from '../command.ts';
import { api } from './_network.ts';

const command: Command = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  args: { exact: 2 },
  async run(ctx) {
    const [net, container] = ctx.args as [string, string];
    await api(ctx, 'POST', `/networks/${encodeURIComponent(net)}/disconnect`, {
      Container: container,
      Force: flagBool(ctx, 'force'),
    });
  },
};

export default command;
