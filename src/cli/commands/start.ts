// berth start [OPTIONS] CONTAINER [CONTAINER...]

import { CliError, flagBool, type Command } from '../command.ts';
import { errText } from './_multi.ts';
import { streamHijacked } from '../../client/hijack.ts';

const command: Command = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  aliases: 'berth container start, berth start',
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  ],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    if (flagBool(ctx, 'attach') || flagBool(ctx, 'interactive')) {
      if (ctx.args.length > 1) throw new CliError('you cannot start and attach multiple containers at once', 1);
      const name = ctx.args[0]!;
      const { value: c } = await client.containerInspect(name);
      const tty = Boolean(c.Config?.Tty);
      const interactive = flagBool(ctx, 'interactive') && Boolean(c.Config?.OpenStdin);
      const conn = await client.containerAttach(name, { stream: true, stdin: interactive, stdout: true, stderr: true });
      const s = streamHijacked(conn, {
        tty,
        stdin: interactive ? ctx.stdin : null,
        stdout: { write: (b) => ctx.io.out(b) },
        stderr: { write: (b) => (tty ? ctx.io.out(b) : ctx.io.err(b)) },
      });
      ctx.onExit(() => s.close());
      const w = await client.containerWait(name, 'next-exit');
      try {
        await client.containerStart(name);
      } catch (e) {
        s.close();
        throw e;
      }
      await s.done;
      const r = await w.result;
      return r.StatusCode;
    }
    const failed: string[] = [];
    for (const name of ctx.args) {
      try {
        await client.containerStart(name);
        ctx.io.out(`${name}\n`);
      } catch (e) {
        ctx.io.err(`${errText(e)}\n`);
        failed.push(name);
      }
    }
    if (failed.length) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
    return 0;
  },
};

export default command;
