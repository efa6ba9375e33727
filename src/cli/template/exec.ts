// Executor for the Go text/template subset over JSON-like values.
// Objects are maps: a missing key is Go's "invalid value", printed `<no value>`.
// A function-valued property is a method (`.Label "key"` on ps rows).

import { TemplateError } from './lexer.ts';
import type { Arg, Cmd, Node, Pipe, Template } from './parser.ts';
import { formatValue, goType, isObject, type Value } from './gofmt.ts';

export type Func = (...args: Value[]) => Value;
export type FuncMap = Readonly<Record<string, Func>>;

/** Functions that take their arguments unevaluated (short-circuit). */
const LAZY = new Set(['and', 'or']);

class BreakSignal {}
class ContinueSignal {}

export function truth(v: Value): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

function argText(a: Arg): string {
  switch (a.t) {
    case 'field':
      return `.${a.names.join('.')}`;
    case 'var':
      return a.name + a.names.map((n) => `.${n}`).join('');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(a.v);
    case 'num':
      return a.text;
    case 'str':
      return JSON.stringify(a.v);
    case 'ident':
      return a.name;
    case 'pipe':
      return `(${a.pipe.cmds.map((c) => c.args.map(argText).join(' ')).join(' | ')})`;
    case 'chain':
      return `${argText(a.node)}.${a.names.join('.')}`;
  }
}

interface Scope {
  vars: { name: string; value: Value }[];
}

export function execute(tmpl: Template, data: Value, funcs: FuncMap): string {
  const name = tmpl.name;
  let out = '';
  const scope: Scope = { vars: [{ name: '$', value: data }] };
  let line = 1;
  let at = '';

  const fail = (msg: string): never => {
    throw new TemplateError(`template: ${name}:${line}:${at ? ` executing "${name}" at <${at}>:` : ''} ${msg}`);
  };

  const lookupVar = (n: string): Value => {
    for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i]!.name === n) return scope.vars[i]!.value;
    return fail(`undefined variable: ${n}`);
  };
  const setVar = (n: string, v: Value) => {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      if (scope.vars[i]!.name === n) {
        scope.vars[i]!.value = v;
        return;
      }
    }
    fail(`undefined variable: ${n}`);
  };

  // One field step; `args`/`hasFinal` only for the last step (method call).
  const field = (recv: Value, fname: string, args: Value[] | null): Value => {
    if (recv === undefined) return undefined; // missing key chain: stays invalid
    if (recv === null) return fail(`nil pointer evaluating interface {}.${fname}`);
    if (isObject(recv)) {
      const v = Object.hasOwn(recv, fname) ? recv[fname] : undefined;
      if (typeof v === 'function') return (v as Func).call(recv, ...(args ?? []));
      if (args?.length) fail(`${fname} has arguments but cannot be invoked as function`);
      return v;
    }
    return fail(`can't evaluate field ${fname} in type ${goType(recv)}`);
  };

  const walk = (recv: Value, names: string[], args: Value[] | null): Value => {
    let v = recv;
    for (let i = 0; i < names.length; i++) v = field(v, names[i]!, i === names.length - 1 ? args : null);
    return v;
  };

  const evalArg = (dot: Value, a: Arg): Value => {
    switch (a.t) {
      case 'field':
        return walk(dot, a.names, null);
      case 'var':
        return walk(lookupVar(a.name), a.names, null);
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'bool':
        return a.v;
      case 'num':
        return a.v;
      case 'str':
        return a.v;
      case 'ident':
        return callFunc(dot, a.name, [], undefined, false);
      case 'pipe':
        return evalPipe(dot, a.pipe, false);
      case 'chain':
        return walk(evalArg(dot, a.node), a.names, null);
    }
  };

  const callFunc = (dot: Value, fname: string, argNodes: Arg[], final: Value, hasFinal: boolean): Value => {
    const fn = funcs[fname];
    if (!fn) return fail(`"${fname}" is not a defined function`);
    if (LAZY.has(fname)) {
      const thunks: (() => Value)[] = argNodes.map((n) => () => evalArg(dot, n));
      if (hasFinal) thunks.push(() => final);
      if (thunks.length === 0) fail(`wrong number of args for ${fname}: want at least 1 got 0`);
      let v: Value;
      for (const t of thunks) {
        v = t();
        if (fname === 'and' ? !truth(v) : truth(v)) return v;
      }
      return v;
    }
    const args = argNodes.map((n) => {
      const v = evalArg(dot, n);
      return v === undefined ? null : v;
    });
    if (hasFinal) args.push(final === undefined ? null : final);
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      return fail(`error calling ${fname}: ${(e as Error).message}`);
    }
  };

  const evalCmd = (dot: Value, cmd: Cmd, final: Value, hasFinal: boolean): Value => {
    const [first, ...rest] = cmd.args;
    at = argText(first!);
    switch (first!.t) {
      case 'field':
      case 'var':
      case 'chain': {
        const hasArgs = rest.length > 0 || hasFinal;
        const args = hasArgs ? [...rest.map((r) => evalArg(dot, r)), ...(hasFinal ? [final] : [])] : null;
        const recv =
          first!.t === 'field' ? dot : first!.t === 'var' ? lookupVar(first!.name) : evalArg(dot, first!.node);
        const names = first!.names;
        if (names.length === 0) {
          if (hasArgs) fail(`can't give argument to non-function ${argText(first!)}`);
          return recv;
        }
        return walk(recv, names, args);
      }
      case 'ident':
        return callFunc(dot, first!.name, rest, final, hasFinal);
      case 'pipe':
        if (rest.length || hasFinal) fail(`can't give argument to non-function ${argText(first!)}`);
        return evalPipe(dot, first!.pipe, false);
      default:
        if (rest.length || hasFinal) fail(`can't give argument to non-function ${argText(first!)}`);
        return evalArg(dot, first!);
    }
  };

  const evalPipe = (dot: Value, p: Pipe, declare: boolean): Value => {
    line = p.line;
    let v: Value;
    let has = false;
    for (const c of p.cmds) {
      v = evalCmd(dot, c, v, has);
      has = true;
    }
    if (declare) {
      for (const d of p.decl) {
        if (p.isAssign) setVar(d, v);
        else scope.vars.push({ name: d, value: v });
      }
    }
    return v;
  };

  const write = (v: Value) => {
    if (typeof v === 'function') fail("can't print function value");
    out += formatValue(v);
  };

  const runList = (dot: Value, nodes: Node[]) => {
    for (const n of nodes) run(dot, n);
  };

  const withScope = (f: () => void) => {
    const mark = scope.vars.length;
    try {
      f();
    } finally {
      scope.vars.length = mark;
    }
  };

  const run = (dot: Value, n: Node): void => {
    switch (n.t) {
      case 'text':
        out += n.text;
        return;
      case 'action': {
        const v = evalPipe(dot, n.pipe, true);
        if (n.pipe.decl.length === 0) write(v);
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'if':
      case 'with':
        withScope(() => {
          const v = evalPipe(dot, n.pipe, true);
          if (truth(v)) runList(n.t === 'with' ? v : dot, n.list);
          else if (n.elseList) runList(dot, n.elseList);
        });
        return;
      case 'range':
        withScope(() => {
          const v = evalPipe(dot, n.pipe, false);
          const items: [Value, Value][] = [];
          if (Array.isArray(v)) for (const [i, e] of v.entries()) items.push([i, e]);
          else if (isObject(v)) for (const k of Object.keys(v).sort()) items.push([k, v[k]]);
          else if (typeof v === 'number' && Number.isInteger(v)) for (let i = 0; i < v; i++) items.push([i, i]);
          else if (v === undefined || v === null) {
            // nothing to range over
          } else fail(`range can't iterate over ${formatValue(v)}`);
          if (items.length === 0) {
            if (n.elseList) runList(dot, n.elseList);
            return;
          }
          for (const [k, e] of items) {
            const mark = scope.vars.length;
            if (n.pipe.decl.length === 1) scope.vars.push({ name: n.pipe.decl[0]!, value: e });
            else if (n.pipe.decl.length === 2) {
              scope.vars.push({ name: n.pipe.decl[0]!, value: k });
              scope.vars.push({ name: n.pipe.decl[1]!, value: e });
            }
            try {
              runList(e, n.list);
            } catch (sig) {
              if (sig instanceof BreakSignal) {
                scope.vars.length = mark;
                break;
              }
              if (!(sig instanceof ContinueSignal)) throw sig;
            }
            scope.vars.length = mark;
          }
        });
        return;
    }
  };

  try {
    runList(data, tmpl.root);
  } catch (e) {
    // text/template leaves what it wrote before the error in the writer
    if (e instanceof TemplateError) (e as TemplateError & { partial?: string }).partial = out;
    throw e;
  }
  return out;
}
