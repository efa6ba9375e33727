// Go's text/tabwriter as docker configures it: minwidth 10, tabwidth 1,
// padding 3, padchar ' ', no flags. Tab-terminated cells are aligned per column
// block; the text after a line's last tab is not part of any column.

export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const lines = text.split('\n');
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  const cells = lines.map((l) => l.split('\t'));
  const width = (s: string) => [...s].length;
  const out: string[][] = cells.map((c) => [...c]);
  // Format column by column, in blocks of consecutive lines that have that column.
  const format = (line0: number, line1: number, col: number) => {
    let i = line0;
    while (i < line1) {
      if (cells[i]!.length - 1 <= col) {
        i++;
        continue;
      }
      let j = i;
      let w = minwidth;
      while (j < line1 && cells[j]!.length - 1 > col) {
        w = Math.max(w, width(cells[j]![col]!) + padding);
        j++;
      }
      for (let k = i; k < j; k++) {
        const c = cells[k]![col]!;
        out[k]![col] = c + ' '.repeat(w - width(c));
      }
      format(i, j, col + 1);
      i = j;
    }
  };
  format(0, cells.length, 0);
  const res = out.map((c) => c.join('')).join('\n');
  return trailingNewline ? `${res}\n` : res;
}
