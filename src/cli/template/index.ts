// Go text/template subset, with docker's template functions.
//   const t = compile('{{.Name | upper}}'); render(t, data)

import { parse, type Template } from './parser.ts';
import { execute, type Func, type FuncMap } from './exec.ts';
import { builtinFuncs } from './funcs.ts';

export { TemplateError } from './lexer.ts';
export type { Template } from './parser.ts';
export type { Func, FuncMap } from './exec.ts';
export { formatValue, sprintf, formatG } from './gofmt.ts';
export { builtinFuncs, headerFuncs, goJSON } from './funcs.ts';

export function compile(src: string, extra?: Record<string, Func>): Template {
  const names = new Set([...Object.keys(builtinFuncs), ...Object.keys(extra ?? {})]);
  return parse(src, names);
}

export function render(t: Template, data: unknown, funcs: FuncMap = builtinFuncs): string {
  return execute(t, data, funcs);
}

/** Parse and execute in one go. */
export function renderString(src: string, data: unknown): string {
  return render(compile(src), data);
}
