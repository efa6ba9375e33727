// berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]

import { CliError, type Command } from '../command.ts';
import { parseNormalizedNamed } from '../format/reference.ts';

const command: Command = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  aliases: 'berth image tag, berth tag',
  flags: [],
  args: { exact: 2 },
  async run(ctx) {
    const [source, target] = ctx.args as [string, string];
    let ref;
    try {
      ref = parseNormalizedNamed(target);
    } catch (e) {
      throw new CliError(
        `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${(e as Error).message}`,
        1,
      );
    }
    if (ref.digest) throw new CliError('refusing to create a tag with a digest reference', 1);
    const client = await ctx.client();
    await client.imageTag(source, ref.name, ref.tag ?? 'latest');
  },
};

export default command;
