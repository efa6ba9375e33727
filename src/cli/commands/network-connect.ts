// berth network connect [OPTIONS] NETWORK CONTAINER
import { flagBool, flagList, flagStr, type Command } from '../command.ts';
import { api } from './_network.ts';

const command: Command = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  flags: [
    { name: 'alias', type: 'list', description: 'Add network-scoped alias for the container' },
    { name: 'ip', type: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' },
  ],
  args: { exact: 2 },
  async run(ctx) {
    const [net, container] = ctx.args as [string, string];
    const ip = flagStr(ctx, 'ip');
    await api(ctx, 'POST', `/networks/${encodeURIComponent(net)}/connect`, {
      Container: container,
      Force: flagBool(ctx, 'force'),
      EndpointConfig: { Aliases: flagList(ctx, 'alias'), ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) },
    });
  },
};

export default command;
