// Dockerfile text → logical lines: parser directives at the top, comments dropped, line
// continuations joined (with the escape character the `# escape=` directive chose), and
// heredoc bodies (`RUN <<EOF` … `EOF`) attached to the line that opened them.
import { invalidArgument } from '../../common/errors.ts';

export interface Heredoc {
  /** The delimiter word (EOF). */
  name: string;
  /** Body without the closing line; tabs stripped for `<<-`. */
  content: string;
  /** `<<"EOF"` / `<<'EOF'`: no variable expansion in the body. */
  quoted: boolean;
  chomp: boolean;
}

export interface LogicalLine {
  /** 1-based first and last physical line. */
  start: number;
  end: number;
  text: string;
  heredocs: Heredoc[];
}

export interface Directives {
  syntax?: string;
  escape: '\\' | '`';
  check?: string;
}

export interface SplitResult {
  directives: Directives;
  lines: LogicalLine[];
  warnings: string[];
}

export class DockerfileError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

/** `Dockerfile:7: unknown instruction: RUNN` — the error users see. */
export function located(file: string, err: DockerfileError): Error {
  return invalidArgument(`${file}:${err.line}: ${err.message}`);
}

const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const HEREDOC_RE = /<<(-?)\s*(?:(["'])([A-Za-z0-9_.-]+)\2|([A-Za-z0-9_.-]+))/g;
// Instructions whose lines may open heredocs.
const HEREDOC_INSTRUCTIONS = /^\s*(RUN|COPY|ADD)\b/i;

function parseDirectives(rows: string[]): { directives: Directives; next: number } {
  const directives: Directives = { escape: '\\' };
  const seen = new Set<string>();
  let i = 0;
  for (; i < rows.length; i++) {
    const m = DIRECTIVE_RE.exec(rows[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (!['syntax', 'escape', 'check'].includes(key)) break; // an ordinary comment ends them
    if (seen.has(key)) throw new DockerfileError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`')
        throw new DockerfileError(i + 1, `invalid escape token '${m[2]}' does not match ${'`'} or \\`);
      directives.escape = m[2] as '\\' | '`';
    } else if (key === 'syntax') directives.syntax = m[2];
    else directives.check = m[2];
  }
  return { directives, next: i };
}

const isComment = (row: string) => /^\s*#/.test(row);

/** Ends with the escape char (not escaped itself), optionally followed by whitespace. */
function continues(row: string, escChar: string): boolean {
  const t = row.replace(/[ \t]+$/, '');
  if (!t.endsWith(escChar)) return false;
  let n = 0;
  for (let i = t.length - 1; i >= 0 && t[i] === escChar; i--) n++;
  return n % 2 === 1;
}

export function splitLines(source: string): SplitResult {
  if (source.length > 10 << 20) throw new DockerfileError(1, 'Dockerfile is larger than 10 MiB');
  const rows = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { directives, next } = parseDirectives(rows);
  const lines: LogicalLine[] = [];
  const warnings: string[] = [];
  const esc = directives.escape;
  let i = next;
  while (i < rows.length) {
    const row = rows[i];
    if (row.trim() === '' || isComment(row)) {
      i++;
      continue;
    }
    const start = i + 1;
    let text = '';
    let cur = row;
    // Join continuation lines; comment lines inside a continuation are skipped.
    while (continues(cur, esc)) {
      const t = cur.replace(/[ \t]+$/, '');
      text += t.slice(0, -1);
      i++;
      while (i < rows.length && (isComment(rows[i]) || rows[i].trim() === '')) {
        if (rows[i].trim() === '') warnings.push(`line ${i + 1}: empty continuation line`);
        i++;
      }
      if (i >= rows.length) {
        cur = '';
        break;
      }
      cur = rows[i];
    }
    text += cur;
    i++;
    const heredocs: Heredoc[] = [];
    if (HEREDOC_INSTRUCTIONS.test(text)) {
      for (const m of text.matchAll(HEREDOC_RE)) {
        const name = m[3] ?? m[4];
        const chomp = m[1] === '-';
        const body: string[] = [];
        let closed = false;
        while (i < rows.length) {
          const r = rows[i++];
          if ((chomp ? r.replace(/^\t+/, '') : r) === name) {
            closed = true;
            break;
          }
          body.push(chomp ? r.replace(/^\t+/, '') : r);
        }
        if (!closed) throw new DockerfileError(start, `unterminated heredoc ${name}`);
        heredocs.push({ name, content: body.length ? body.join('\n') + '\n' : '', quoted: Boolean(m[2]), chomp });
      }
    }
    lines.push({ start, end: i, text, heredocs });
  }
  return { directives, lines, warnings };
}
