// berth volume create [OPTIONS] [VOLUME]
import { CliError, flagList, flagStr, type Command } from '../command.ts';
import { volumeCreate } from '../../client/volumes.ts';

/** `-o k=v` / `--label k=v` lists as maps (a label without `=` has an empty value). */
function toMap(list: string[], what: string, needsValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i < 0 && needsValue) throw new CliError(`invalid argument "${s}" for "${what}" flag: bad format`, 125);
    if (i === 0) throw new CliError(`invalid argument "${s}" for "${what}" flag: invalid label format`, 125);
    out[i < 0 ? s : s.slice(0, i)] = i < 0 ? '' : s.slice(i + 1);
  }
  return out;
}

const command: Command = {
  name: 'create',
  usage: '[OPTIONS] [VOLUME]',
  short: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', type: 'string', description: 'Specify volume driver name (default "local")' },
    { name: 'name', type: 'string', description: 'Specify volume name' },
    { name: 'opt', short: 'o', type: 'list', description: 'Set driver specific options' },
    { name: 'label', type: 'list', description: 'Set metadata for a volume' },
  ],
  args: { max: 1 },
  async run(ctx) {
    let name = flagStr(ctx, 'name');
    if (ctx.args.length === 1) {
      if (name !== '')
        throw new CliError(
          'conflicting options: cannot specify a volume-name through both --name and as a positional arg',
          1,
        );
      name = ctx.args[0];
    }
    const opts = toMap(flagList(ctx, 'opt'), '-o, --opt', true);
    const labels = toMap(flagList(ctx, 'label'), '--label', false);
    const v = await volumeCreate(await ctx.client(), {
      Driver: flagStr(ctx, 'driver') || 'local',
      Name: name,
      ...(Object.keys(opts).length ? { DriverOpts: opts } : {}),
      ...(Object.keys(labels).length ? { Labels: labels } : {}),
    });
    ctx.io.out(`${v.Name}\n`);
  },
};

export default command;
