// berth export [OPTIONS] CONTAINER

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { CliError, flagStr, type Command } from '../command.ts';

const command: Command = {
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  aliases: 'berth container export, berth export',
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  args: { exact: 1 },
  async run(ctx) {
    const out = flagStr(ctx, 'output');
    if (!out && ctx.io.stdoutIsTTY)
      throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    const client = await ctx.client();
    const res = await client.transport.request('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/export`);
    if (out) {
      // Written beside the target and renamed only when complete, so a failure leaves no half file.
      const tmp = `${out}.berth-tmp`;
      await pipeline(res, createWriteStream(tmp, { mode: 0o644 }));
      const { renameSync } = await import('node:fs');
      renameSync(tmp, out);
      return;
    }
    for await (const c of res) ctx.io.out(c as Buffer);
  },
};

export default command;
