// Shell-style globs as Go's filepath.Match reads them (`*`, `?`, `[...]`, `\` escapes,
// never crossing a `/`), plus `**` across path elements where .dockerignore allows it.

export const escapeRegex = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The regex source (unanchored) for a glob. */
export function globSource(glob: string, opts: { doubleStar: boolean }): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (opts.doubleStar && glob[i + 1] === '*') {
        // `**` matches any number of path elements (including none).
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!') || cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) re += escapeRegex(glob[++i]);
    else re += escapeRegex(c);
  }
  return re;
}
