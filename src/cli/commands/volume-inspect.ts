// berth volume inspect [OPTIONS] VOLUME [VOLUME...]
import { flagStr, type Command } from '../command.ts';
import { inspectRefs } from './inspect.ts';
import { volumeInspectRaw } from '../../client/volumes.ts';

/**
 * The docker CLI runs a volume template on Go's volume.Volume, not on the JSON: a nil map
 * (Labels, Options, Status) is an empty map (`map[]`, and `index` finds nothing instead of
 * failing), an absent pointer (UsageData, ClusterVolume) is `<nil>`.
 */
function asGoVolume(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const o = { ...(v as Record<string, unknown>) };
  for (const k of ['Labels', 'Options', 'Status']) o[k] ??= {};
  for (const k of ['UsageData', 'ClusterVolume']) o[k] ??= null;
  return o;
}

const command: Command = {
  name: 'inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' }],
  args: { min: 1 },
  async run(ctx) {
    const client = await ctx.client();
    await inspectRefs(ctx, ctx.args, flagStr(ctx, 'format'), (name) => volumeInspectRaw(client, name), asGoVolume);
  },
};

export default command;
