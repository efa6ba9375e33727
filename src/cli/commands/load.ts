// berth load [OPTIONS]
import { createReadStream, statSync } from 'node:fs';
import { CliError, flagBool, flagStr, type Command } from '../command.ts';
import { showProgress } from '../progress-bars.ts';

const command: Command = {
  name: 'load',
  usage: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  aliases: 'berth image load, berth load',
  flags: [
    { name: 'input', short: 'i', type: 'string', description: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const input = flagStr(ctx, 'input');
    if (input) {
      try {
        statSync(input);
      } catch {
        throw new CliError(`open ${input}: no such file or directory`, 1);
      }
    } else if ((ctx.stdin as { isTTY?: boolean }).isTTY)
      throw new CliError('requested load from stdin, but stdin is empty', 1);
    const client = await ctx.client();
    const res = await client.transport.request('POST', '/images/load', {
      query: { quiet: flagBool(ctx, 'quiet') || undefined },
      body: input ? createReadStream(input) : ctx.stdin,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    await showProgress(res, { write: (s: string) => ctx.io.out(s) }, false);
  },
};

export default command;
