// berth diff CONTAINER

import type { Command } from '../command.ts';

const command: Command = {
  name: 'diff',
  usage: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  aliases: 'berth container diff, berth diff',
  flags: [],
  args: { exact: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const changes = await client.transport.json<{ Kind: number; Path: string }[] | null>(
      'GET',
      `/containers/${encodeURIComponent(ctx.args[0]!)}/changes`,
    );
    for (const c of changes ?? []) ctx.io.out(`${'CAD'[c.Kind] ?? '?'} ${c.Path}\n`);
  },
};

export default command;
