// docker's formatter.Context: `table …` formats get a header row and go through
// the tabwriter; other formats print one line per row; `json` is `{{json .}}`.

import { compile, render, headerFuncs, builtinFuncs, goJSON } from '../template/index.ts';
import { tabwrite } from './tabwriter.ts';

export type Row = Record<string, unknown>;

export const isTableFormat = (f: string) => f.startsWith('table');

/** Format.templateString: strip `table`, trim spaces, expand `\t` and `\n`. */
export function templateString(format: string): string {
  if (format === 'table') return '';
  if (format === 'json') return '{{json .}}';
  let out = format;
  if (out.startsWith('table')) out = out.slice('table'.length);
  out = out.replace(/^ +| +$/g, '');
  return out.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Exported (non-method) fields of a row as `{{json .}}` shows them, keys sorted. */
export function rowJSON(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(row).sort()) if (typeof row[k] !== 'function') out[k] = row[k];
  return out;
}

export function renderRows(format: string, rows: Row[], header: Record<string, string>): string {
  const tmpl = compile(templateString(format));
  const isRow = (v: unknown): v is Row =>
    v !== null && typeof v === 'object' && Object.values(v).some((x) => typeof x === 'function');
  const funcs = { ...builtinFuncs, json: (v: unknown) => goJSON(isRow(v) ? rowJSON(v) : v) };
  let body = '';
  for (const r of rows) body += `${render(tmpl, r, funcs)}\n`;
  if (!isTableFormat(format)) return body;
  let head = '';
  try {
    head = render(tmpl, header, headerFuncs);
  } catch (e) {
    // docker ignores header rendering errors, keeping what was written
    head = (e as { partial?: string }).partial ?? '';
  }
  return tabwrite(`${head}\n${body}`);
}
