// berth run [OPTIONS] IMAGE [COMMAND] [ARG...]
// create → attach (hijacked, before start) → wait (next-exit, or removed for --rm)
// → start → stream until the output ends → exit with the container's status.

import { CliError, flagBool, flagStr, type Command, type Ctx } from '../command.ts';
import { buildCreateSpec, validatePull } from './container-opts.ts';
import { containerFlags, createOnlyFlags } from './container-flags.ts';
import { createContainer } from './create-container.ts';
import { reportError } from './create.ts';
import type { Streaming } from '../../client/hijack.ts';
import type { WaitHandle } from '../../client/index.ts';
import { monitorTtySize, pumpStdio } from '../tty.ts';
import { proxySignals } from './_signals.ts';

/** runStartContainerErr: 127 not found, 126 permission denied, else 125. */
export function startErrorStatus(message: string): number {
  const m = message.replace(/^Error response from daemon: /, '');
  if (
    m.includes('executable file not found') ||
    m.includes('no such file or directory') ||
    m.includes('system cannot find the file specified')
  )
    return 127;
  if (m.includes('permission denied') || m.includes('is a directory')) return 126;
  return 125;
}

const apiMessage = (e: unknown) =>
  (e as Error).name === 'ApiError' ? `Error response from daemon: ${(e as Error).message}` : (e as Error).message;

async function waitStatus(w: WaitHandle, ctx: Ctx): Promise<number> {
  try {
    const r = await w.result;
    if (r.Error?.Message) {
      ctx.io.err(`Error waiting for container: ${r.Error.Message}\n`);
      return 125;
    }
    return r.StatusCode;
  } catch (e) {
    ctx.io.err(`error waiting for container: ${apiMessage(e)}\n`);
    return 125;
  }
}

const runFlags = [
  { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
  { name: 'sig-proxy', type: 'bool', description: 'Proxy received signals to the process', default: true },
  { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
] as const;

const command: Command = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  aliases: 'berth container run, berth run',
  flags: [...runFlags, ...createOnlyFlags, ...containerFlags],
  interspersed: false,
  args: { min: 1 },
  async run(ctx) {
    const [image, ...cmd] = ctx.args as [string, ...string[]];
    let spec;
    try {
      validatePull(flagStr(ctx, 'pull'));
      spec = buildCreateSpec(ctx.flags, ctx.changed, image, cmd, { env: ctx.env, consoleSize: ctx.io.ttySize() });
    } catch (e) {
      throw new CliError(reportError('run', (e as Error).message, true), 125);
    }
    const config = spec.config;
    const detach = flagBool(ctx, 'detach');
    const tty = Boolean(config.Tty);
    if (!detach) {
      if (tty && config.AttachStdin && !ctx.stdin.isTTY) throw new CliError('the input device is not a TTY', 1);
    } else {
      if ((ctx.flags.attach as string[]).length) throw new CliError('Conflicting options: -a and -d', 1);
      config.AttachStdin = false;
      config.AttachStdout = false;
      config.AttachStderr = false;
      config.StdinOnce = false;
    }

    let id: string;
    try {
      id = await createContainer(ctx, spec, {
        name: flagStr(ctx, 'name'),
        platform: flagStr(ctx, 'platform'),
        pull: flagStr(ctx, 'pull'),
        quiet: flagBool(ctx, 'quiet'),
      });
    } catch (e) {
      if ((e as Error).name === 'ConnectError') throw e;
      const msg = apiMessage(e);
      throw new CliError(reportError('run', msg, true), startErrorStatus(msg));
    }
    const client = await ctx.client();
    if (flagBool(ctx, 'sig-proxy') && !tty) proxySignals(ctx, client, id);

    const attachOut = Boolean(config.AttachStdout || config.AttachStderr);
    const attachAny = Boolean(config.AttachStdin) || attachOut;
    if (!attachOut) ctx.io.out(`${id}\n`);

    let streaming: Streaming | undefined;
    if (attachAny) {
      const conn = await client.containerAttach(id, {
        stream: true,
        stdin: Boolean(config.AttachStdin),
        stdout: Boolean(config.AttachStdout),
        stderr: Boolean(config.AttachStderr),
        detachKeys: flagStr(ctx, 'detach-keys') || undefined,
      });
      streaming = pumpStdio(ctx, conn, {
        tty,
        stdin: Boolean(config.AttachStdin),
        stdout: Boolean(config.AttachStdout),
        stderr: Boolean(config.AttachStderr),
        detachKeys: flagStr(ctx, 'detach-keys'),
      });
    }

    const autoRemove = Boolean(spec.hostConfig.AutoRemove);
    const waiter = detach ? undefined : await client.containerWait(id, autoRemove ? 'removed' : 'next-exit');

    try {
      await client.containerStart(id);
    } catch (e) {
      streaming?.close();
      const msg = apiMessage(e);
      ctx.io.err(`${reportError('run', msg, false)}\n`);
      if (autoRemove && waiter) await waitStatus(waiter, ctx);
      return startErrorStatus(msg);
    }

    if (tty && attachAny && ctx.io.stdoutIsTTY) monitorTtySize(ctx, (h, w) => client.containerResize(id, h, w));

    if (streaming) await streaming.done;
    // Ctrl-p Ctrl-q: the container keeps running without us.
    if (streaming?.detached) return 0;
    if (!attachOut || !waiter) return 0;
    return waitStatus(waiter, ctx);
  },
};

export default command;
