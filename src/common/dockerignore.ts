// .dockerignore with Docker's semantics: one pattern per line, `#` comments, paths cleaned
// and made relative (a leading `/` is dropped), `*` `?` `[...]` within one path element,
// `**` across any number of them, `!` re-includes, and the last matching pattern wins.
// A pattern that matches a directory excludes everything below it.

interface Pattern { re: RegExp; exclusion: boolean; source: string }

export interface IgnoreMatcher {
  /** True when the context path (relative, `/`-separated) is excluded. */
  excluded(path: string): boolean;
  /** True when an excluded directory may still contain re-included paths (walk into it). */
  mayReinclude(dir: string): boolean;
  readonly patterns: readonly string[];
}

/** Cleans like Go's filepath.Clean, relative: no leading `/`, no `.`/`..` (`..` above root dropped). */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { out.pop(); continue; }
    out.push(part);
  }
  return out.join('/');
}

function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**` matches any number of path elements (including none).
        i++;
        if (glob[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) { re += '\\['; continue; }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!') || cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) {
      re += escapeRe(glob[++i]);
    } else re += escapeRe(c);
  }
  return re;
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export function parseDockerignore(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

export function createMatcher(patterns: readonly string[]): IgnoreMatcher {
  const compiled: Pattern[] = [];
  for (const raw of patterns) {
    const exclusion = raw.startsWith('!');
    const body = cleanPath((exclusion ? raw.slice(1) : raw).trim());
    if (body === '') continue;
    // The pattern matches the path itself or anything below it.
    compiled.push({ re: new RegExp(`^${globToRegex(body)}(?:/.*)?$`), exclusion, source: raw });
  }
  const excluded = (path: string): boolean => {
    const p = cleanPath(path);
    let out = false;
    for (const pat of compiled) if (pat.re.test(p)) out = !pat.exclusion;
    return out;
  };
  return {
    patterns,
    excluded,
    mayReinclude: (dir: string) => compiled.some((p) => p.exclusion) && excluded(dir),
  };
}
