// berth save [OPTIONS] IMAGE [IMAGE...]
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { CliError, flagStr, type Command } from '../command.ts';

const command: Command = {
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliases: 'berth image save, berth save',
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  args: { min: 1 },
  async run(ctx) {
    const out = flagStr(ctx, 'output');
    if (!out && process.stdout.isTTY)
      throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    const client = await ctx.client();
    const res = await client.transport.request('GET', '/images/get', { query: { names: ctx.args } });
    await pipeline(res, out ? createWriteStream(out) : process.stdout);
  },
};

export default command;
