// berth inspect [OPTIONS] NAME|ID [NAME|ID...]
// Also the engine behind `container inspect` and `image inspect`.

import { CliError, flagBool, flagStr, type Command, type Ctx } from '../command.ts';
import { errText } from './_multi.ts';
import { volumeInspectRaw } from '../../client/volumes.ts';
import type { Client } from '../../client/index.ts';

export type ObjectType = 'container' | 'image' | 'volume';

const TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

async function getRaw(client: Client, ref: string, type: ObjectType, size: boolean): Promise<Buffer> {
  if (type === 'volume') return volumeInspectRaw(client, ref);
  return type === 'container'
    ? (await client.containerInspect(ref, { size })).raw
    : (await client.imageInspect(ref)).raw;
}

/** inspect.Inspect: fetch every ref, render, report errors joined (exit 1; 64 for a bad template). */
export async function inspectRefs(
  ctx: Ctx,
  refs: readonly string[],
  format: string,
  fetch: (ref: string) => Promise<Buffer>,
  typed: (v: unknown) => unknown = (v) => v,
): Promise<void> {
  const { compile, render, TemplateError } = await import('../template/index.ts');
  const { jsonIndent, jsonCompact } = await import('../format/json.ts');
  let tmpl;
  if (format && format !== 'json') {
    try {
      tmpl = compile(format);
    } catch (e) {
      throw new CliError(`template parsing error: ${(e as Error).message}`, 64);
    }
  }
  const errs: string[] = [];
  const raws: string[] = [];
  let out = '';
  for (const ref of refs) {
    let raw: Buffer;
    try {
      raw = await fetch(ref);
    } catch (e) {
      errs.push(e instanceof CliError ? e.message : errText(e));
      continue;
    }
    if (!tmpl) {
      raws.push(raw.toString('utf8'));
      continue;
    }
    try {
      out += `${render(tmpl, typed(JSON.parse(raw.toString('utf8'))))}\n`;
    } catch (e) {
      errs.push(e instanceof TemplateError ? `template parsing error: ${e.message}` : (e as Error).message);
    }
  }
  if (!tmpl) {
    if (raws.length === 0) ctx.io.out('[]\n');
    else {
      const arr = `[${raws.join(',')}]`;
      ctx.io.out(`${format === 'json' ? jsonCompact(arr) : jsonIndent(arr)}\n`);
    }
  } else ctx.io.out(out === '' ? '\n' : out);
  if (errs.length) throw new CliError(errs.join('\n'), 1);
}

const command: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Docker objects',
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' },
    { name: 'type', type: 'string', description: 'Return JSON for specified type' },
  ],
  args: { min: 1 },
  async run(ctx) {
    const type = flagStr(ctx, 'type');
    if (type && !TYPES.includes(type)) throw new CliError(`"${type}" is not a valid value for --type`, 1);
    const size = flagBool(ctx, 'size');
    const client = await ctx.client();
    const order: ObjectType[] =
      type === 'container' || type === 'image' || type === 'volume'
        ? [type]
        : type
          ? []
          : ['container', 'image', 'volume'];
    await inspectRefs(ctx, ctx.args, flagStr(ctx, 'format'), async (ref) => {
      for (const t of order) {
        try {
          const raw = await getRaw(client, ref, t, size);
          if (size && t !== 'container') ctx.io.err(`WARNING: --size ignored for ${t}\n`);
          return raw;
        } catch (e) {
          const st = (e as { status?: number }).status;
          const msg = (e as Error).message ?? '';
          if (!type && (st === 404 || msg.includes('not supported') || msg.includes('invalid reference format')))
            continue;
          throw e;
        }
      }
      throw new CliError(`Error: No such object: ${ref}`, 1);
    });
  },
};

export default command;
