// berth rm [OPTIONS] CONTAINER [CONTAINER...]

import { CliError, flagBool, type Command } from '../command.ts';
import { errText } from './_multi.ts';

const command: Command = {
  name: 'rm',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  aliases: 'berth container rm, berth container remove, berth rm',
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', type: 'bool', description: 'Remove the specified link' },
    {
      name: 'volumes',
      short: 'v',
      type: 'bool',
      description: 'Remove anonymous volumes associated with the container',
    },
  ],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const force = flagBool(ctx, 'force');
    const results = ctx.args.map((raw) => {
      const id = raw.replace(/^\/+|\/+$/g, '');
      if (id === '') return Promise.resolve(new Error('Container name cannot be empty'));
      return client.containerRemove(id, { force, volumes: flagBool(ctx, 'volumes'), link: flagBool(ctx, 'link') }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    });
    const errs: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const err = await results[i];
      if (err) {
        if (force && (err as { status?: number }).status === 404) {
          ctx.io.err(`${errText(err)}\n`);
          continue;
        }
        errs.push(errText(err));
        continue;
      }
      ctx.io.out(`${ctx.args[i]}\n`);
    }
    if (errs.length) throw new CliError(errs.join('\n'), 1);
  },
};

export default command;
