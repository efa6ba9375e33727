// berth network connect [OPTIONS] NETWORK CONTAINER
import { flagList, flagStr, type Command } from '../command.ts';
import { networkConnect } from '../../client/networks.ts';

const command: Command = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  flags: [
    { name: 'alias', type: 'list', description: 'Add network-scoped alias for the container' },
    { name: 'ip', type: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
  ],
  args: { exact: 2 },
  async run(ctx) {
    const [net, container] = ctx.args as [string, string];
    const ip = flagStr(ctx, 'ip');
    await networkConnect(await ctx.client(), net, {
      Container: container,
      EndpointConfig: { Aliases: flagList(ctx, 'alias'), ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) },
    });
  },
};

export default command;
