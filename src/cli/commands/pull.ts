// berth pull [OPTIONS] NAME[:TAG|@DIGEST]
import { CliError, flagBool, flagStr, type Command } from '../command.ts';
import { registryAuthHeader } from '../auth-config.ts';
import { showProgress } from '../progress-bars.ts';

/** Splits NAME[:TAG] for the API's fromImage/tag pair (digests stay in fromImage). */
export function splitTag(image: string): { fromImage: string; tag?: string } {
  if (image.includes('@')) return { fromImage: image };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/')
    ? { fromImage: image.slice(0, colon), tag: image.slice(colon + 1) }
    : { fromImage: image, tag: 'latest' };
}

const command: Command = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  aliases: 'berth image pull, berth pull',
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const image = ctx.args[0];
    const all = flagBool(ctx, 'all-tags');
    const client = await ctx.client();
    const { fromImage, tag } = splitTag(image);
    // No tag in the request is how the API says "every tag" (docker pull -a does the same).
    if (all && (image.includes('@') || splitTag(image).fromImage !== image))
      throw new CliError("tag can't be used with --all-tags/-a", 1);
    const res = await client.transport.request('POST', '/images/create', {
      query: { fromImage, tag: all ? undefined : tag, platform: flagStr(ctx, 'platform') || undefined },
      headers: { 'X-Registry-Auth': registryAuthHeader(ctx.env, image) },
    });
    const quiet = flagBool(ctx, 'quiet');
    await showProgress(
      res,
      { write: (s: string) => (quiet ? undefined : ctx.io.out(s)) },
      !quiet && !!process.stdout.isTTY,
    );
    if (quiet) ctx.io.out(`${all || image.includes(':') || image.includes('@') ? image : `${image}:latest`}\n`);
  },
};

export default command;
