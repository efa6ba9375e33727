// Built-in functions: Go's text/template builtins plus docker's template funcs
// (json, split, join, title, lower, upper, pad, truncate).

import { TemplateError } from './lexer.ts';
import { formatValue, goType, isObject, sprint, sprintf, sprintln, type Value } from './gofmt.ts';
import { truth, type Func } from './exec.ts';

const errf = (m: string): never => {
  throw new Error(m);
};

function basicKind(v: Value): 'number' | 'string' | 'bool' | 'nil' | 'other' {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'other';
}

function eq(a: Value, ...bs: Value[]): boolean {
  if (bs.length === 0) errf('missing argument for comparison');
  const ka = basicKind(a);
  for (const b of bs) {
    const kb = basicKind(b);
    if (ka === 'nil' || kb === 'nil') {
      if (ka === kb) return true;
      continue;
    }
    if (ka === 'other' || kb === 'other') {
      if (ka !== kb) errf('incompatible types for comparison');
      errf('non-comparable types ' + goType(a) + ': ' + goType(b));
    }
    if (ka !== kb) errf('incompatible types for comparison');
    if (a === b) return true;
  }
  return false;
}

function lt(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== 'number' && ka !== 'string') errf('invalid type for comparison');
  if (ka !== kb) errf('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

/** strings.Title: upper-case the first letter of each word. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = !/[\p{L}\p{N}_]/u.test(prev) && !/['\u2019]/.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** Go's encoding/json output (HTML escaping off, as docker's formatJSON). */
export function goJSON(v: Value): string {
  const s = JSON.stringify(v === undefined ? null : v);
  return (s ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function index(item: Value, ...keys: Value[]): Value {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) errf(`cannot index slice/array with type ${goType(k)}`);
      const n = k as number;
      if (n < 0 || n >= v.length) errf(`index out of range: ${n}`);
      v = typeof v === 'string' ? Buffer.from(v)[n] : v[n];
    } else if (isObject(v)) {
      if (typeof k !== 'string') errf(`value has type ${goType(k)}; should be string`);
      const key = k as string;
      if (Object.hasOwn(v, key)) v = v[key];
      else {
        // Go yields the element type's zero value: "" for string maps (labels), nil otherwise.
        const vals = Object.values(v);
        v = vals.length === 0 || vals.every((x) => typeof x === 'string') ? '' : null;
      }
    } else if (v === null || v === undefined) errf('index of untyped nil');
    else errf(`can't index item of type ${goType(v)}`);
  }
  return v;
}

function len(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  if (v === null || v === undefined) return errf('len of nil pointer');
  return errf(`len of type ${goType(v)}`);
}

function join(elems: Value, sep: Value): string {
  if (elems === null || elems === undefined) return '';
  const s = String(sep);
  if (Array.isArray(elems)) return elems.map((e) => formatValue(e, false)).join(s);
  if (isObject(elems))
    return Object.values(elems)
      .map((e) => formatValue(e, false))
      .sort()
      .join(s);
  return errf(`expected slice, got ${goType(elems)}`);
}

function str(v: Value, fn: string): string {
  if (typeof v !== 'string') {
    throw new Error(`wrong type for value; expected string; got ${goType(v)}`);
  }
  void fn;
  return v;
}

function slice(item: Value, ...idx: Value[]): Value {
  const ns = idx.map((i) => (typeof i === 'number' ? i : errf('cannot index slice/array with nil')));
  if (typeof item === 'string' || Array.isArray(item)) {
    const start = ns[0] ?? 0;
    const end = ns[1] ?? item.length;
    if (start < 0 || end > item.length || start > end) errf(`index out of range: ${end}`);
    return item.slice(start, end);
  }
  return errf(`can't slice item of type ${goType(item)}`);
}

export const builtinFuncs: Record<string, Func> = {
  and: () => undefined, // short-circuit, handled by the executor
  or: () => undefined,
  not: (v) => !truth(v),
  len,
  index,
  slice,
  print: (...a) => sprint(a),
  println: (...a) => sprintln(a),
  printf: (f, ...a) => sprintf(str(f, 'printf'), a),
  eq: (a, ...b) => eq(a, ...b),
  ne: (a, b) => !eq(a, b),
  lt: (a, b) => lt(a, b),
  le: (a, b) => lt(a, b) || eq(a, b),
  gt: (a, b) => !lt(a, b) && !eq(a, b),
  ge: (a, b) => !lt(a, b),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+'),
  html: (...a) =>
    sprint(a)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&#34;')
      .replace(/'/g, '&#39;'),
  js: (...a) => JSON.stringify(sprint(a)).slice(1, -1).replace(/'/g, "\\'"),
  call: (fn, ...a) => (typeof fn === 'function' ? (fn as Func)(...a) : errf(`non-function of type ${goType(fn)}`)),
  // docker's additions (cli/templates)
  json: (v) => goJSON(v),
  split: (s, sep) => str(s, 'split').split(str(sep, 'split')),
  join,
  title: (s) => goTitle(str(s, 'title')),
  lower: (s) => str(s, 'lower').toLowerCase(),
  upper: (s) => str(s, 'upper').toUpperCase(),
  pad: (s, pre, suf) => {
    const v = str(s, 'pad');
    return v === '' ? v : ' '.repeat(Number(pre)) + v + ' '.repeat(Number(suf));
  },
  truncate: (s, n) => {
    const v = str(s, 'truncate');
    const k = Number(n);
    return Buffer.byteLength(v) < k ? v : Buffer.from(v).subarray(0, k).toString();
  },
};

/** docker's HeaderFunctions: leave a column's header text untouched. */
export const headerFuncs: Record<string, Func> = {
  ...builtinFuncs,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

export { TemplateError };
