// berth push [OPTIONS] NAME[:TAG]
import { flagBool, type Command } from '../command.ts';
import { registryAuthHeader } from '../auth-config.ts';
import { showProgress } from '../progress-bars.ts';

const command: Command = {
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  aliases: 'berth image push, berth push',
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Push all tags of an image to the repository' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const image = ctx.args[0];
    const colon = image.lastIndexOf(':');
    const hasTag = colon > image.lastIndexOf('/');
    const name = hasTag ? image.slice(0, colon) : image;
    const tag = hasTag ? image.slice(colon + 1) : flagBool(ctx, 'all-tags') ? undefined : 'latest';
    const client = await ctx.client();
    const res = await client.transport.request('POST', `/images/${encodeURIComponent(name)}/push`, {
      query: { tag },
      headers: { 'X-Registry-Auth': registryAuthHeader(ctx.env, image) },
    });
    const quiet = flagBool(ctx, 'quiet');
    await showProgress(
      res,
      { write: (s: string) => (quiet ? undefined : ctx.io.out(s)) },
      !quiet && !!process.stdout.isTTY,
    );
    if (quiet) ctx.io.out(`${image}\n`);
  },
};

export default command;
