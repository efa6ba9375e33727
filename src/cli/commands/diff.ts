// berth diff CONTAINER

import type { Command } from '../command.ts';
import { containerChanges } from '../../client/container-fs.ts';

const command: Command = {
  name: 'diff',
  usage: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  aliases: 'berth container diff, berth diff',
  flags: [],
  args: { exact: 1 },
  async run(ctx) {
    const changes = await containerChanges(await ctx.client(), ctx.args[0]!);
    for (const c of changes) ctx.io.out(`${'CAD'[c.Kind] ?? '?'} ${c.Path}\n`);
  },
};

export default command;
