// Shared by the `berth network …` commands: raw Engine API calls through the client's
// transport (the networks API has no typed client methods yet).
import type { Ctx } from '../command.ts';

export async function api<T>(
  ctx: Ctx,
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string | undefined>,
): Promise<T> {
  const client = await ctx.client();
  return client.transport.json(method, path, { body, query }) as Promise<T>;
}

/** Columns padded like docker's tabwriter (3 spaces between). */
export function columns(rows: string[][]): string {
  const w: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      w[i] = Math.max(w[i] ?? 0, c.length);
    });
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + 3)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
