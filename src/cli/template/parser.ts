// Parser for the Go text/template subset: builds a small AST from lexer tokens.

import { lex, TemplateError, type Token } from './lexer.ts';

export type Arg =
  | { t: 'field'; names: string[] }
  | { t: 'var'; name: string; names: string[] }
  | { t: 'dot' }
  | { t: 'nil' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; v: number; isInt: boolean; text: string }
  | { t: 'str'; v: string }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipe }
  | { t: 'chain'; node: Arg; names: string[] };

export interface Cmd {
  args: Arg[];
}

export interface Pipe {
  decl: string[];
  isAssign: boolean;
  cmds: Cmd[];
  line: number;
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe; src: string }
  | { t: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null; src: string }
  | { t: 'break' }
  | { t: 'continue' };

export interface Template {
  name: string;
  root: Node[];
}

/** Function names the parser accepts (Go checks this at parse time). */
export type FuncNames = ReadonlySet<string>;

export function parse(src: string, funcs: FuncNames, name = ''): Template {
  const toks = lex(src, name);
  let i = 0;
  let rangeDepth = 0;
  const vars: string[][] = [['$']];
  const err = (msg: string, tok?: Token): never => {
    throw new TemplateError(`template: ${name}:${tok?.line ?? 1}: ${msg}`);
  };
  const peekNonSpace = (): Token => {
    let j = i;
    while (toks[j]!.type === 'space') j++;
    return toks[j]!;
  };
  const nextNonSpace = (): Token => {
    while (toks[i]!.type === 'space') i++;
    return toks[i++]!;
  };
  const declared = (v: string) => vars.some((s) => s.includes(v));

  function unquote(tok: Token): string {
    if (tok.type === 'rawstring') return tok.val.slice(1, -1);
    try {
      return JSON.parse(
        tok.val
          .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
          .replace(/\\a/g, '\\u0007')
          .replace(/\\v/g, '\\u000b')
          .replace(/\\'/g, "'"),
      ) as string;
    } catch {
      return err(`invalid syntax: ${tok.val}`, tok);
    }
  }

  function parseNumber(tok: Token): Arg {
    const text = tok.val.replace(/_/g, '');
    let v: number;
    let isInt = true;
    if (/^[+-]?0[xX]/.test(text)) v = parseInt(text.replace(/0[xX]/, ''), 16) * (text.startsWith('-') ? 1 : 1);
    else if (/^[+-]?0[bB]/.test(text)) v = parseInt(text.replace(/^([+-]?)0[bB]/, '$1'), 2);
    else if (/^[+-]?0[oO]/.test(text)) v = parseInt(text.replace(/^([+-]?)0[oO]/, '$1'), 8);
    else {
      v = Number(text);
      isInt = /^[+-]?[0-9]+$/.test(text);
      if (isInt && /^[+-]?0[0-7]+$/.test(text)) v = parseInt(text, 8);
    }
    if (Number.isNaN(v)) err(`bad number syntax: "${tok.val}"`, tok);
    if (!isInt && Number.isInteger(v) && !/[.eE]/.test(text)) isInt = true;
    return { t: 'num', v, isInt, text: tok.val };
  }

  function term(): Arg | null {
    const tok = nextNonSpace();
    switch (tok.type) {
      case 'ident':
        if (!funcs.has(tok.val)) err(`function "${tok.val}" not defined`, tok);
        return { t: 'ident', name: tok.val };
      case 'dot':
        return { t: 'dot' };
      case 'nil':
        return { t: 'nil' };
      case 'variable':
        if (!declared(tok.val)) err(`undefined variable "${tok.val}"`, tok);
        return { t: 'var', name: tok.val, names: [] };
      case 'field':
        return { t: 'field', names: [tok.val.slice(1)] };
      case 'bool':
        return { t: 'bool', v: tok.val === 'true' };
      case 'char':
        return {
          t: 'num',
          v: unquote({ ...tok, type: 'string', val: `"${tok.val.slice(1, -1)}"` }).codePointAt(0) ?? 0,
          isInt: true,
          text: tok.val,
        };
      case 'number':
        return parseNumber(tok);
      case 'string':
      case 'rawstring':
        return { t: 'str', v: unquote(tok) };
      case 'lparen': {
        const p = pipeline('paren');
        const close = nextNonSpace();
        if (close.type !== 'rparen') err(`unclosed left paren`, close);
        return { t: 'pipe', pipe: p };
      }
    }
    i--;
    return null;
  }

  function operand(): Arg | null {
    const t = term();
    if (!t) return null;
    // fields directly following a term form a chain (no space between)
    if (toks[i]!.type === 'field') {
      const names: string[] = [];
      while (toks[i]!.type === 'field') names.push(toks[i++]!.val.slice(1));
      switch (t.t) {
        case 'field':
          return { t: 'field', names: [...t.names, ...names] };
        case 'var':
          return { t: 'var', name: t.name, names: [...t.names, ...names] };
        case 'bool':
        case 'str':
        case 'num':
        case 'nil':
        case 'dot':
          return err(`unexpected . after term "${t.t}"`, toks[i - 1]);
        default:
          return { t: 'chain', node: t, names };
      }
    }
    return t;
  }

  function command(): Cmd {
    const args: Arg[] = [];
    for (;;) {
      const tok = peekNonSpace();
      if (tok.type === 'right' || tok.type === 'rparen' || tok.type === 'pipe') break;
      const op = operand();
      if (!op) err(`unexpected ${describe(tok)} in operand`, tok);
      args.push(op!);
    }
    if (args.length === 0) err('missing command', toks[i]);
    return { args };
  }

  function pipeline(context: string, allowDecl = true): Pipe {
    const line = peekNonSpace().line;
    const decl: string[] = [];
    let isAssign = false;
    if (allowDecl) {
      // look ahead for `$x :=`, `$x =`, `$i, $e :=`
      const save = i;
      const v1 = nextNonSpace();
      if (v1.type === 'variable') {
        const n1 = nextNonSpace();
        if (n1.type === 'declare' || n1.type === 'assign') {
          decl.push(v1.val);
          isAssign = n1.type === 'assign';
          if (isAssign && !declared(v1.val)) err(`undefined variable "${v1.val}"`, v1);
        } else if (n1.type === 'comma' && context === 'range') {
          const v2 = nextNonSpace();
          const n2 = nextNonSpace();
          if (v2.type !== 'variable' || (n2.type !== 'declare' && n2.type !== 'assign'))
            err('range can only initialize variables', v2);
          decl.push(v1.val, v2.val);
          isAssign = n2.type === 'assign';
        } else i = save;
      } else i = save;
      if (!isAssign) for (const d of decl) vars[vars.length - 1]!.push(d);
    }
    const cmds: Cmd[] = [];
    for (;;) {
      const tok = peekNonSpace();
      if (tok.type === 'right' || tok.type === 'rparen') break;
      if (tok.type === 'pipe') {
        if (cmds.length === 0) err('missing command before |', tok);
        nextNonSpace();
        continue;
      }
      cmds.push(command());
    }
    if (cmds.length === 0) err(`missing value for ${context}`, toks[i]);
    return { decl, isAssign, cmds, line };
  }

  function expectRight() {
    const tok = nextNonSpace();
    if (tok.type !== 'right') err(`unexpected ${describe(tok)} in ${'command'}`, tok);
  }

  // Parse a list of nodes until {{end}} / {{else}}; returns the terminator.
  function list(inControl: boolean): { nodes: Node[]; term: 'end' | 'else' | 'eof'; elseTok?: Token } {
    const nodes: Node[] = [];
    for (;;) {
      const tok = toks[i]!;
      if (tok.type === 'eof') {
        if (inControl) err('unexpected EOF', tok);
        return { nodes, term: 'eof' };
      }
      if (tok.type === 'text') {
        nodes.push({ t: 'text', text: tok.val });
        i++;
        continue;
      }
      if (tok.type !== 'left') err(`unexpected ${describe(tok)}`, tok);
      const startPos = tok.pos;
      i++;
      const kw = peekNonSpace();
      if (kw.type === 'keyword') {
        switch (kw.val) {
          case 'end':
            nextNonSpace();
            expectRight();
            if (!inControl) err('unexpected {{end}}', kw);
            return { nodes, term: 'end' };
          case 'else':
            nextNonSpace();
            if (!inControl) err('unexpected {{else}}', kw);
            return { nodes, term: 'else', elseTok: kw };
          case 'if':
          case 'with':
          case 'range':
            nextNonSpace();
            nodes.push(control(kw.val, startPos));
            continue;
          case 'break':
          case 'continue':
            nextNonSpace();
            if (rangeDepth === 0) err(`{{${kw.val}}} outside {{range}}`, kw);
            expectRight();
            nodes.push({ t: kw.val });
            continue;
          default:
            err(`{{${kw.val}}} is not supported`, kw);
        }
      }
      const p = pipeline('command');
      expectRight();
      nodes.push({ t: 'action', pipe: p, src: src.slice(startPos, toks[i - 1]!.pos + 2) });
    }
  }

  function control(kind: 'if' | 'with' | 'range', startPos: number): Node {
    vars.push([]);
    const p = pipeline(kind);
    expectRight();
    const srcText = src.slice(startPos, toks[i - 1]!.pos + 2);
    if (kind === 'range') rangeDepth++;
    const body = list(true);
    if (kind === 'range') rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.term === 'else') {
      const next = peekNonSpace();
      if (
        (kind === 'if' && next.type === 'keyword' && next.val === 'if') ||
        (kind === 'with' && next.type === 'keyword' && next.val === 'with')
      ) {
        // {{else if …}} / {{else with …}}: a nested control sharing our {{end}}
        nextNonSpace();
        vars.pop();
        vars.push([]);
        elseList = [control(kind, startPos)];
      } else {
        expectRight();
        vars.pop();
        vars.push([]);
        const e = list(true);
        if (e.term !== 'end') err('expected end; found {{else}}', e.elseTok);
        elseList = e.nodes;
      }
    }
    vars.pop();
    return { t: kind, pipe: p, list: body.nodes, elseList, src: srcText };
  }

  const root = list(false);
  return { name, root: root.nodes };
}

function describe(tok: Token): string {
  switch (tok.type) {
    case 'right':
      return '"}}"';
    case 'eof':
      return 'EOF';
    default:
      return `<${tok.val}>`;
  }
}
