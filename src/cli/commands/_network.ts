// Shared by the `berth network …` commands: table output.

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
