// berth create [OPTIONS] IMAGE [COMMAND] [ARG...]

import { CliError, flagBool, flagStr, type Command } from '../command.ts';
import { buildCreateSpec, validatePull } from './container-opts.ts';
import { containerFlags, createOnlyFlags } from './container-flags.ts';
import { createContainer } from './create-container.ts';

/** reportError(stderr, name, msg, withHelp) in docker v27's run.go. */
export function reportError(name: string, msg: string, withHelp: boolean): string {
  let s = `${msg.replace(/\.$/, '')}.`;
  if (withHelp) s += `\nSee 'berth ${name} --help'.`;
  return `berth: ${s}`;
}

const command: Command = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  aliases: 'berth container create, berth create',
  flags: [...createOnlyFlags, ...containerFlags],
  interspersed: false,
  args: { min: 1 },
  async run(ctx) {
    const [image, ...cmd] = ctx.args as [string, ...string[]];
    let spec;
    try {
      validatePull(flagStr(ctx, 'pull'));
      spec = buildCreateSpec(ctx.flags, ctx.changed, image, cmd, { env: ctx.env, consoleSize: ctx.io.ttySize() });
    } catch (e) {
      throw new CliError(reportError('create', (e as Error).message, true), 125);
    }
    const id = await createContainer(ctx, spec, {
      name: flagStr(ctx, 'name'),
      platform: flagStr(ctx, 'platform'),
      pull: flagStr(ctx, 'pull'),
      quiet: flagBool(ctx, 'quiet'),
    });
    ctx.io.out(`${id}\n`);
  },
};

export default command;
