// berth attach [OPTIONS] CONTAINER

import { CliError, flagBool, flagStr, type Command } from '../command.ts';
import { monitorTtySize, pumpStdio } from '../tty.ts';
import { proxySignals } from './_signals.ts';

const command: Command = {
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  aliases: 'berth container attach, berth attach',
  flags: [
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', description: 'Proxy all received signals to the process', default: true },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const { value: c } = await client.containerInspect(ctx.args[0]!);
    const st = c.State ?? {};
    if (!st.Running) throw new CliError('You cannot attach to a stopped container, start it first', 1);
    if (st.Paused) throw new CliError('You cannot attach to a paused container, unpause it first', 1);
    if (st.Restarting) throw new CliError('You cannot attach to a restarting container, wait until it is running', 1);
    const tty = Boolean(c.Config?.Tty);
    const useStdin = !flagBool(ctx, 'no-stdin') && Boolean(c.Config?.OpenStdin);
    if (tty && useStdin && !ctx.stdin.isTTY) throw new CliError('the input device is not a TTY', 1);
    const detachKeys = flagStr(ctx, 'detach-keys');
    const conn = await client.containerAttach(c.Id, {
      stream: true,
      stdin: useStdin,
      stdout: true,
      stderr: true,
      detachKeys: detachKeys || undefined,
    });
    if (!tty && flagBool(ctx, 'sig-proxy')) proxySignals(ctx, client, c.Id);
    const streaming = pumpStdio(ctx, conn, { tty, stdin: useStdin, stdout: true, stderr: true, detachKeys });
    if (tty && ctx.io.stdoutIsTTY) monitorTtySize(ctx, (h, w) => client.containerResize(c.Id, h, w));
    await streaming.done;
    if (streaming.detached) return 0;
    // The output ended: the container is exiting; its status is ours.
    const w = await client.containerWait(c.Id, 'not-running');
    return (await w.result).StatusCode;
  },
};

export default command;
