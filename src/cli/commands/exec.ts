// berth exec [OPTIONS] CONTAINER COMMAND [ARG...]

import { CliError, flagBool, flagList, flagStr, type Command } from '../command.ts';
import { monitorTtySize, pumpStdio } from '../tty.ts';
import { execCreate, execInspect, execResize, execStartAttached, execStartDetached } from '../../client/interactive.ts';

const command: Command = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  aliases: 'berth container exec, berth exec',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', type: 'list', description: 'Set environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
  ],
  interspersed: false,
  args: { min: 2 },
  async run(ctx) {
    const [container, ...cmd] = ctx.args as [string, ...string[]];
    const detach = flagBool(ctx, 'detach');
    const tty = flagBool(ctx, 'tty');
    const interactive = flagBool(ctx, 'interactive');
    if (!detach && tty && interactive && !ctx.stdin.isTTY) throw new CliError('the input device is not a TTY', 1);
    // -e NAME takes NAME's value from here, or is dropped when unset (Docker's ValidateEnv).
    const env = flagList(ctx, 'env').flatMap((e) => {
      if (e.includes('=')) return [e];
      const v = ctx.env[e];
      return v === undefined ? [] : [`${e}=${v}`];
    });
    const detachKeys = flagStr(ctx, 'detach-keys');
    const client = await ctx.client();
    const size = tty ? ctx.io.ttySize() : undefined;
    const { Id } = await execCreate(client, container, {
      Cmd: cmd,
      AttachStdin: interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Tty: tty,
      DetachKeys: detachKeys || undefined,
      Env: env.length ? env : undefined,
      WorkingDir: flagStr(ctx, 'workdir') || undefined,
      User: flagStr(ctx, 'user') || undefined,
      Privileged: flagBool(ctx, 'privileged'),
      ConsoleSize: size ?? null,
    });
    if (detach) {
      await execStartDetached(client, Id, tty);
      return 0;
    }
    const conn = await execStartAttached(client, Id, tty, size);
    const streaming = pumpStdio(ctx, conn, { tty, stdin: interactive, stdout: true, stderr: true, detachKeys });
    if (tty && ctx.io.stdoutIsTTY) monitorTtySize(ctx, (h, w) => execResize(client, Id, h, w));
    await streaming.done;
    if (streaming.detached) return 0;
    const r = await execInspect(client, Id);
    return r.ExitCode ?? 0;
  },
};

export default command;
