// encoding/json's Indent and Compact over raw bytes: the daemon's own text
// (key order, number spelling, escapes) is kept, only whitespace changes.

function tokens(src: string, each: (tok: string, kind: 'open' | 'close' | 'comma' | 'colon' | 'value') => void): void {
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '{' || c === '[') each(c, 'open');
    else if (c === '}' || c === ']') each(c, 'close');
    else if (c === ',') each(c, 'comma');
    else if (c === ':') each(c, 'colon');
    else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      each(src.slice(i, j + 1), 'value');
      i = j + 1;
      continue;
    } else {
      let j = i;
      while (j < src.length && !' \t\n\r,:]}'.includes(src[j]!)) j++;
      each(src.slice(i, j), 'value');
      i = j;
      continue;
    }
    i++;
  }
}

/** json.Indent(dst, src, prefix "", indent). Empty [] and {} stay on one line. */
export function jsonIndent(src: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let needIndent = false; // an opening bracket waits for its first element
  const newline = () => `\n${indent.repeat(depth)}`;
  tokens(src, (tok, kind) => {
    if (needIndent && kind !== 'close') {
      out += newline();
      needIndent = false;
    }
    switch (kind) {
      case 'open':
        out += tok;
        depth++;
        needIndent = true;
        break;
      case 'close':
        depth--;
        if (needIndent) needIndent = false;
        else out += newline();
        out += tok;
        break;
      case 'comma':
        out += `,${newline()}`;
        break;
      case 'colon':
        out += ': ';
        break;
      default:
        out += tok;
    }
  });
  return out;
}

/** json.Compact */
export function jsonCompact(src: string): string {
  let out = '';
  tokens(src, (tok) => {
    out += tok;
  });
  return out;
}
