// berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]

import { createReadStream, statSync } from 'node:fs';
import { CliError, flagList, flagStr, type Command } from '../command.ts';
import { parseNormalizedNamed } from '../format/reference.ts';

const command: Command = {
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  aliases: 'berth image import, berth import',
  flags: [
    { name: 'change', short: 'c', type: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
  ],
  args: { min: 1, max: 2 },
  async run(ctx) {
    const [src, ref] = ctx.args as [string, string | undefined];
    if (ref) {
      try {
        parseNormalizedNamed(ref);
      } catch (e) {
        throw new CliError((e as Error).message, 1);
      }
    }
    let source: NodeJS.ReadableStream | string;
    if (src === '-') source = ctx.stdin;
    else if (/^(https?):\/\//.test(src)) source = src;
    else {
      try {
        statSync(src);
      } catch {
        throw new CliError(`open ${src}: no such file or directory`, 1);
      }
      source = createReadStream(src);
    }
    const client = await ctx.client();
    const res = await client.imageImport(source, {
      repo: ref,
      message: flagStr(ctx, 'message') || undefined,
      changes: flagList(ctx, 'change'),
      platform: flagStr(ctx, 'platform').toLowerCase() || undefined,
    });
    const { displayProgress } = await import('../../client/progress.ts');
    await displayProgress(res, { write: (s: string) => ctx.io.out(s) });
  },
};

export default command;
