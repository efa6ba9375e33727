// berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]

import { CliError, flagBool, flagList, flagStr, type Command } from '../command.ts';
import { familiarName, parseNormalizedNamed } from '../format/reference.ts';
import { containerCommit } from '../../client/container-fs.ts';

const command: Command = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  aliases: 'berth container commit, berth commit',
  flags: [
    {
      name: 'author',
      short: 'a',
      type: 'string',
      description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    },
    { name: 'change', short: 'c', type: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', description: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit' },
  ],
  args: { min: 1, max: 2 },
  async run(ctx) {
    const [container, ref] = ctx.args as [string, string | undefined];
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      let named;
      try {
        named = parseNormalizedNamed(ref);
      } catch (e) {
        throw new CliError((e as Error).message, 1);
      }
      if (named.digest) throw new CliError('refusing to create a tag with a digest reference', 1);
      repo = familiarName(named.name);
      tag = named.tag;
    }
    const res = await containerCommit(await ctx.client(), {
      container,
      repo,
      tag,
      comment: flagStr(ctx, 'message') || undefined,
      author: flagStr(ctx, 'author') || undefined,
      pause: flagBool(ctx, 'pause'),
      changes: flagList(ctx, 'change'),
    });
    ctx.io.out(`${res.Id}\n`);
  },
};

export default command;
