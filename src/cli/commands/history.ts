// berth history [OPTIONS] IMAGE

import { flagBool, flagStr, type Command } from '../command.ts';
import { renderRows } from '../format/formatter.ts';
import { ellipsis, truncateId } from '../format/containers.ts';
import { humanDuration, humanSizeWithPrecision } from '../format/units.ts';
import type { ImageHistoryResponseItem } from '../../client/index.ts';

export const DEFAULT_HISTORY_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HEADER = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export function historyRows(
  items: readonly ImageHistoryResponseItem[],
  o: { trunc: boolean; human: boolean; nowMs?: number },
) {
  const now = o.nowMs ?? Date.now();
  return items.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    return {
      ID: h.Id === '<missing>' ? h.Id : o.trunc ? truncateId(h.Id) : h.Id,
      CreatedSince: o.human
        ? `${humanDuration(now - h.Created * 1000)} ago`
        : new Date(h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      CreatedBy: o.trunc ? ellipsis(createdBy, 45) : createdBy,
      Size: o.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
      Comment: h.Comment,
    };
  });
}

const command: Command = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  aliases: 'berth image history, berth history',
  flags: [
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    {
      name: 'human',
      short: 'H',
      type: 'bool',
      description: 'Print sizes and dates in human readable format',
      default: true,
    },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const client = await ctx.client();
    const items = await client.imageHistory(ctx.args[0]!);
    const format = flagBool(ctx, 'quiet') ? '{{.ID}}' : flagStr(ctx, 'format') || DEFAULT_HISTORY_FORMAT;
    ctx.io.out(
      renderRows(
        format === 'table' ? DEFAULT_HISTORY_FORMAT : format,
        historyRows(items, { trunc: !flagBool(ctx, 'no-trunc'), human: flagBool(ctx, 'human') }),
        HEADER,
      ),
    );
  },
};

export default command;
