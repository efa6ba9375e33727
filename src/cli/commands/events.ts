// berth events [OPTIONS]: the daemon's events as they happen, with --since/--until over its
// history, --filter and --format ("json" or a Go template).

import { flagList, flagStr, parseFilters, type Command } from '../command.ts';
import { getTimestamp } from '../format/units.ts';
import { events, jsonLines } from '../../client/interactive.ts';
import type { EventMessage as EventJSON } from '../../client/index.ts';

/** jsonmessage.RFC3339NanoFixed in UTC, as the docker CLI prints event times. */
function stamp(timeNano: number): string {
  const ms = Math.floor(timeNano / 1e6);
  const d = new Date(ms).toISOString().slice(0, 19);
  return `${d}.${String((timeNano % 1e9) | 0).padStart(9, '0')}Z`;
}

/** The CLI's default line: time, type, action, actor id, sorted attributes. */
export function eventLine(e: EventJSON): string {
  const attrs = Object.entries(e.Actor.Attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return `${e.timeNano ? stamp(e.timeNano) + ' ' : ''}${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}`;
}

const command: Command = {
  name: 'events',
  usage: '[OPTIONS]',
  short: 'Get real time events from the server',
  aliases: 'berth system events, berth events',
  flags: [
    {
      name: 'filter',
      short: 'f',
      type: 'list',
      description: 'Filter output based on conditions provided',
      valueName: 'filter',
    },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'since', type: 'string', description: 'Show all events created since timestamp' },
    { name: 'until', type: 'string', description: 'Stream events until this timestamp' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const since = flagStr(ctx, 'since');
    const until = flagStr(ctx, 'until');
    const format = flagStr(ctx, 'format');
    const { compile, render } = await import('../template/index.ts');
    const { templateString } = await import('../format/formatter.ts');
    const tmpl = format ? compile(templateString(format)) : undefined;
    const client = await ctx.client();
    const ac = new AbortController();
    ctx.onExit(() => ac.abort());
    const res = await events(
      client,
      {
        since: since ? getTimestamp(since) : undefined,
        until: until ? getTimestamp(until) : undefined,
        filters: parseFilters(flagList(ctx, 'filter')),
      },
      ac.signal,
    );
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    ctx.onExit(() => process.off('SIGINT', stop));
    try {
      for await (const e of jsonLines<EventJSON>(res)) ctx.io.out(`${tmpl ? render(tmpl, e) : eventLine(e)}\n`);
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    }
  },
};

export default command;
