// Lexer for the Go text/template subset: text, {{ actions }}, trim markers
// `{{- ` / ` -}}`, comments `{{/* */}}`.

export type TokType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'ident'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'rawstring'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'keyword'
  | 'eof';

export interface Token {
  type: TokType;
  val: string;
  pos: number;
  line: number;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string) => /[\p{L}\p{N}_]/u.test(c);

export function lex(src: string, name = ''): Token[] {
  const toks: Token[] = [];
  let pos = 0;
  let line = 1;
  const lineAt = (p: number) => {
    let l = 1;
    for (let i = 0; i < p && i < src.length; i++) if (src[i] === '\n') l++;
    return l;
  };
  const err = (msg: string, p: number): never => {
    throw new TemplateError(`template: ${name}:${lineAt(p)}: ${msg}`);
  };
  let trimNextText = false;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    const textEnd = open < 0 ? src.length : open;
    let trimLeft = false;
    if (open >= 0 && src[open + 2] === '-' && isSpace(src[open + 3] ?? '')) trimLeft = true;
    let text = src.slice(pos, textEnd);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    trimNextText = false;
    if (text) toks.push({ type: 'text', val: text, pos, line: lineAt(pos) });
    if (open < 0) {
      pos = src.length;
      break;
    }
    line = lineAt(open);
    pos = open + 2 + (trimLeft ? 2 : 0);
    // comment
    let p0 = pos;
    while (p0 < src.length && isSpace(src[p0]!) && trimLeft) p0++;
    if (src.startsWith('/*', trimLeft ? pos : pos)) {
      const endc = src.indexOf('*/', pos + 2);
      if (endc < 0) err('unclosed comment', open);
      let q = endc + 2;
      let trimR = false;
      if (src.startsWith(' -}}', q)) {
        trimR = true;
        q += 4;
      } else if (src.startsWith('}}', q)) q += 2;
      else err('comment ends before closing delimiter', open);
      pos = q;
      trimNextText = trimR;
      continue;
    }
    toks.push({ type: 'left', val: '{{', pos: open, line });
    // inside action
    let parenDepth = 0;
    for (;;) {
      if (pos >= src.length) err('unclosed action', open);
      const c = src[pos]!;
      if (isSpace(c)) {
        // right trim marker: " -}}"
        let q = pos;
        while (q < src.length && isSpace(src[q]!)) q++;
        if (src.startsWith('-}}', q)) {
          toks.push({ type: 'right', val: '}}', pos: q, line: lineAt(q) });
          pos = q + 3;
          trimNextText = true;
          break;
        }
        if (c === '\n' && parenDepth >= 0) {
          // newlines are allowed inside actions since Go 1.16
        }
        toks.push({ type: 'space', val: src.slice(pos, q), pos, line: lineAt(pos) });
        pos = q;
        continue;
      }
      if (src.startsWith('}}', pos)) {
        toks.push({ type: 'right', val: '}}', pos, line: lineAt(pos) });
        pos += 2;
        break;
      }
      const start = pos;
      const push = (type: TokType, val: string) => toks.push({ type, val, pos: start, line: lineAt(start) });
      if (c === '|') {
        push('pipe', '|');
        pos++;
        continue;
      }
      if (c === '(') {
        push('lparen', '(');
        parenDepth++;
        pos++;
        continue;
      }
      if (c === ')') {
        push('rparen', ')');
        parenDepth--;
        pos++;
        continue;
      }
      if (c === ',') {
        push('comma', ',');
        pos++;
        continue;
      }
      if (c === ':' && src[pos + 1] === '=') {
        push('declare', ':=');
        pos += 2;
        continue;
      }
      if (c === '=') {
        push('assign', '=');
        pos++;
        continue;
      }
      if (c === '"') {
        let q = pos + 1;
        while (q < src.length && src[q] !== '"') {
          if (src[q] === '\\') q++;
          if (src[q] === '\n') err('unterminated quoted string', start);
          q++;
        }
        if (q >= src.length) err('unterminated quoted string', start);
        push('string', src.slice(pos, q + 1));
        pos = q + 1;
        continue;
      }
      if (c === '`') {
        const q = src.indexOf('`', pos + 1);
        if (q < 0) err('unterminated raw quoted string', start);
        push('rawstring', src.slice(pos, q + 1));
        pos = q + 1;
        continue;
      }
      if (c === "'") {
        let q = pos + 1;
        while (q < src.length && src[q] !== "'") {
          if (src[q] === '\\') q++;
          q++;
        }
        push('char', src.slice(pos, q + 1));
        pos = q + 1;
        continue;
      }
      if (c === '$') {
        let q = pos + 1;
        while (q < src.length && isAlnum(src[q]!)) q++;
        push('variable', src.slice(pos, q));
        pos = q;
        continue;
      }
      if (c === '.') {
        const n = src[pos + 1] ?? '';
        if (/[0-9]/.test(n)) {
          const m = /^\.[0-9][0-9_]*([eE][+-]?[0-9]+)?/.exec(src.slice(pos))!;
          push('number', m[0]);
          pos += m[0].length;
          continue;
        }
        if (isAlnum(n)) {
          let q = pos + 1;
          while (q < src.length && isAlnum(src[q]!)) q++;
          push('field', src.slice(pos, q));
          pos = q;
          continue;
        }
        push('dot', '.');
        pos++;
        continue;
      }
      if (/[0-9+-]/.test(c)) {
        const m =
          /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?)/.exec(
            src.slice(pos),
          );
        if (!m || m[0] === '+' || m[0] === '-') err(`bad number syntax: "${c}"`, start);
        push('number', m![0]);
        pos += m![0].length;
        continue;
      }
      if (isAlnum(c)) {
        let q = pos;
        while (q < src.length && isAlnum(src[q]!)) q++;
        const word = src.slice(pos, q);
        if (KEYWORDS.has(word)) push('keyword', word);
        else if (word === 'true' || word === 'false') push('bool', word);
        else if (word === 'nil') push('nil', word);
        else push('ident', word);
        pos = q;
        continue;
      }
      err(`unexpected "${c}" in command`, start);
    }
  }
  toks.push({ type: 'eof', val: '', pos, line });
  return toks;
}
