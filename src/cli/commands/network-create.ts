// berth network create [OPTIONS] NETWORK
import { flagBool, flagList, flagStr, type Command } from '../command.ts';
import { networkCreate } from '../../client/networks.ts';

const kv = (list: string[]) =>
  Object.fromEntries(
    list.map((s) => {
      const i = s.indexOf('=');
      return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
    }),
  );

const command: Command = {
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  short: 'Create a network',
  flags: [
    { name: 'driver', short: 'd', type: 'string', description: 'Driver to manage the Network (default "bridge")' },
    { name: 'subnet', type: 'list', description: 'Subnet in CIDR format that represents a network segment' },
    { name: 'gateway', type: 'list', description: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ip-range', type: 'list', description: 'Allocate container ip from a sub-range' },
    { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
    { name: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
    { name: 'label', type: 'list', description: 'Set metadata on a network' },
    { name: 'opt', short: 'o', type: 'list', description: 'Set driver specific options' },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const subnets = flagList(ctx, 'subnet');
    const gws = flagList(ctx, 'gateway');
    const ranges = flagList(ctx, 'ip-range');
    const r = await networkCreate(await ctx.client(), {
      Name: ctx.args[0],
      Driver: flagStr(ctx, 'driver') || 'bridge',
      Internal: flagBool(ctx, 'internal'),
      Attachable: flagBool(ctx, 'attachable'),
      Labels: kv(flagList(ctx, 'label')),
      Options: kv(flagList(ctx, 'opt')),
      IPAM: {
        Driver: 'default',
        Config: subnets.map((s, i) => ({
          Subnet: s,
          ...(gws[i] ? { Gateway: gws[i] } : {}),
          ...(ranges[i] ? { IPRange: ranges[i] } : {}),
        })),
      },
    });
    ctx.io.out(`${r.Id}\n`);
  },
};

export default command;
