// Word processing as the Dockerfile reference describes it for ADD, COPY, ENV, EXPOSE, FROM,
// LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (and ARG defaults): quotes group and are removed,
// the escape character escapes, `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`,
// `${VAR+x}`, `${VAR:?msg}` expand — but not inside single quotes. RUN/CMD/ENTRYPOINT are
// left to the shell and never come here.
import { DockerfileError } from './lines.ts';

export type Env = ReadonlyMap<string, string>;

interface Options {
  escape: string;
  line: number;
  split: boolean;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Scanner {
  readonly s: string;
  i = 0;
  constructor(s: string) {
    this.s = s;
  }
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(o = 0): string {
    return this.s[this.i + o] ?? '';
  }
  next(): string {
    return this.s[this.i++] ?? '';
  }
}

function expandVar(sc: Scanner, env: Env, o: Options): string {
  // at '$'
  sc.next();
  if (sc.peek() === '{') {
    sc.next();
    let name = '';
    while (!sc.done && NAME_CHAR.test(sc.peek())) name += sc.next();
    if (name === '') throw new DockerfileError(o.line, `bad substitution: missing variable name`);
    let op = '';
    if (sc.peek() === ':' && '-+?'.includes(sc.peek(1))) {
      op = sc.next() + sc.next();
    } else if ('-+?'.includes(sc.peek()) && sc.peek() !== '') op = sc.next();
    let word = '';
    if (op) {
      // The word itself may contain quotes, escapes and nested expansions.
      word = processUntil(sc, env, { ...o, split: false }, '}');
    }
    if (sc.next() !== '}') throw new DockerfileError(o.line, `missing '}' in substitution`);
    const set = env.has(name);
    const value = env.get(name) ?? '';
    switch (op) {
      case '':
        return value;
      case ':-':
        return set && value !== '' ? value : word;
      case '-':
        return set ? value : word;
      case ':+':
        return set && value !== '' ? word : '';
      case '+':
        return set ? word : '';
      case ':?':
        if (set && value !== '') return value;
        throw new DockerfileError(o.line, `${name}: ${word || 'is not allowed to be empty'}`);
      case '?':
        if (set) return value;
        throw new DockerfileError(o.line, `${name}: ${word || 'is not allowed to be unset'}`);
    }
    return value;
  }
  if (!NAME_START.test(sc.peek())) return '$';
  let name = '';
  while (!sc.done && NAME_CHAR.test(sc.peek())) name += sc.next();
  return env.get(name) ?? '';
}

/** Processes text until `stop` (unquoted, at nesting level 0) or the end; quotes removed. */
function processUntil(sc: Scanner, env: Env, o: Options, stop: string): string {
  let out = '';
  while (!sc.done && sc.peek() !== stop) {
    const c = sc.peek();
    if (c === o.escape) {
      sc.next();
      if (!sc.done) out += sc.next();
      continue;
    }
    if (c === "'") {
      sc.next();
      while (!sc.done && sc.peek() !== "'") out += sc.next();
      if (sc.next() !== "'")
        throw new DockerfileError(o.line, 'unexpected end of statement while looking for matching single-quote');
      continue;
    }
    if (c === '"') {
      sc.next();
      while (!sc.done && sc.peek() !== '"') {
        const d = sc.peek();
        if (d === o.escape && ['"', '$', o.escape].includes(sc.peek(1))) {
          sc.next();
          out += sc.next();
          continue;
        }
        if (d === '$') {
          out += expandVar(sc, env, o);
          continue;
        }
        out += sc.next();
      }
      if (sc.next() !== '"')
        throw new DockerfileError(o.line, 'unexpected end of statement while looking for matching double-quote');
      continue;
    }
    if (c === '$') {
      out += expandVar(sc, env, o);
      continue;
    }
    out += sc.next();
  }
  return out;
}

/** One word: expansions done, quotes removed. */
export function expandWord(text: string, env: Env, escChar: string, line: number): string {
  const sc = new Scanner(text);
  const out = processUntil(sc, env, { escape: escChar, line, split: false }, '\u0000');
  return out;
}

/**
 * Splits on unquoted whitespace, then expands each word (quotes removed). Expansion
 * results are not split again, as in Docker.
 */
export function expandWords(text: string, env: Env, escChar: string, line: number): string[] {
  return splitRaw(text, escChar, line).map((w) => expandWord(w, env, escChar, line));
}

/** Splits on unquoted, unescaped whitespace without touching the words' contents. */
export function splitRaw(text: string, escChar: string, line: number): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      cur += c;
      if (c === escChar && quote === '"' && i + 1 < text.length) {
        cur += text[++i];
        continue;
      }
      if (c === quote) quote = '';
      continue;
    }
    if (c === escChar && i + 1 < text.length) {
      cur += c + text[++i];
      inWord = true;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) {
        words.push(cur);
        cur = '';
        inWord = false;
      }
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote)
    throw new DockerfileError(
      line,
      `unexpected end of statement while looking for matching ${quote === '"' ? 'double' : 'single'}-quote`,
    );
  if (inWord) words.push(cur);
  return words;
}

/**
 * A heredoc body with an unquoted delimiter (COPY <<EOF): `$VAR` and `${VAR…}` expand,
 * `\$` `\\` and `\`` escape; quotes and every other character stay as written.
 */
export function expandHeredoc(text: string, env: Env, escChar: string, line: number): string {
  return text.replace(/\\([$\\`])|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, (m, esc: string | undefined) =>
    esc !== undefined ? esc : expandWord(m, env, escChar, line),
  );
}
