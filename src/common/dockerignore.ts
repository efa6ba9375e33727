// .dockerignore with Docker's semantics: one pattern per line, `#` comments, paths cleaned
// and made relative (a leading `/` is dropped), `*` `?` `[...]` within one path element,
// `**` across any number of them, `!` re-includes, and the last matching pattern wins.
// A pattern that matches a directory excludes everything below it.

import { globSource } from './glob.ts';

interface Pattern {
  re: RegExp;
  exclusion: boolean;
  source: string;
}

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
    if (part === '..') {
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

export function parseDockerignore(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function createMatcher(patterns: readonly string[]): IgnoreMatcher {
  const compiled: Pattern[] = [];
  for (const raw of patterns) {
    const exclusion = raw.startsWith('!');
    const body = cleanPath((exclusion ? raw.slice(1) : raw).trim());
    if (body === '') continue;
    // The pattern matches the path itself or anything below it.
    compiled.push({ re: new RegExp(`^${globSource(body, { doubleStar: true })}(?:/.*)?$`), exclusion, source: raw });
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
