// A pflag-compatible flag parser: `-abc` combined short booleans, `-ovalue`,
// `-o=value`, `--x=y`, `--x y`, repeatable list flags, `--`, and (for
// run/create/exec) stopping at the first positional argument.

export type FlagType = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  type: FlagType;
  description?: string;
  /** Shown in help and used when the flag is absent (lists default to []). */
  default?: string | number | boolean;
  /** Value stored under another flag's name (`--net` for `--network`). */
  aliasOf?: string;
  hidden?: boolean;
  /** Help's value placeholder ("string", "list", "int"...). */
  valueName?: string;
}

export type FlagValue = string | number | boolean | string[];

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  /** Names (canonical) given on the command line. */
  changed: Set<string>;
  args: string[];
}

/** A usage error worded as pflag words it. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface ParseOptions {
  /** false: stop at the first positional (pflag's SetInterspersed(false)). */
  interspersed?: boolean;
}

const parseBool = (v: string, display: string): boolean => {
  switch (v) {
    case '1':
    case 't':
    case 'T':
    case 'true':
    case 'TRUE':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'false':
    case 'FALSE':
    case 'False':
      return false;
  }
  throw new FlagError(
    `invalid argument "${v}" for "${display}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`,
  );
};

const flagDisplay = (s: FlagSpec) => (s.short ? `-${s.short}, --${s.name}` : `--${s.name}`);

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], opts: ParseOptions = {}): ParsedFlags {
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of specs) {
    byLong.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const values: Record<string, FlagValue> = {};
  for (const s of specs) {
    if (s.aliasOf) continue;
    values[s.name] = s.type === 'list' ? [] : (s.default ?? (s.type === 'bool' ? false : s.type === 'int' ? 0 : ''));
  }
  const changed = new Set<string>();
  const args: string[] = [];
  const interspersed = opts.interspersed ?? true;

  const set = (spec: FlagSpec, raw: string) => {
    const key = spec.aliasOf ?? spec.name;
    const target = byLong.get(key) ?? spec;
    changed.add(key);
    switch (target.type) {
      case 'bool':
        values[key] = parseBool(raw, flagDisplay(spec));
        break;
      case 'int': {
        if (!/^[+-]?\d+$/.test(raw)) {
          throw new FlagError(
            `invalid argument "${raw}" for "${flagDisplay(spec)}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`,
          );
        }
        values[key] = Number(raw);
        break;
      }
      case 'list':
        (values[key] as string[]).push(raw);
        break;
      default:
        values[key] = raw;
    }
  };
  const isBool = (s: FlagSpec) => (byLong.get(s.aliasOf ?? s.name) ?? s).type === 'bool';

  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (isBool(spec)) set(spec, 'true');
      else if (i + 1 < argv.length) set(spec, argv[++i]!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let j = 1;
      while (j < a.length) {
        const ch = a[j]!;
        const spec = byShort.get(ch);
        if (!spec) {
          if (ch === 'h') {
            // `-h` is the (deprecated) help shorthand where a command does not use it.
            changed.add('help');
            values.help = true;
            j++;
            continue;
          }
          throw new FlagError(`unknown shorthand flag: '${ch}' in ${a}`);
        }
        if (a[j + 1] === '=') {
          set(spec, a.slice(j + 2));
          break;
        }
        if (isBool(spec)) {
          set(spec, 'true');
          j++;
          continue;
        }
        if (j + 1 < a.length) set(spec, a.slice(j + 1));
        else if (i + 1 < argv.length) set(spec, argv[++i]!);
        else throw new FlagError(`flag needs an argument: '${ch}' in -${ch}`);
        break;
      }
      continue;
    }
    args.push(a);
    if (!interspersed) {
      i++;
      break;
    }
  }
  for (; i < argv.length; i++) args.push(argv[i]!);
  return { values, changed, args };
}

/** Help text lines for a flag table, aligned like cobra's. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const rows: [string, string][] = [];
  for (const s of specs) {
    if (s.hidden) continue;
    const val = s.type === 'bool' ? '' : ` ${s.valueName ?? (s.type === 'list' ? 'list' : s.type)}`;
    const left = s.short ? `  -${s.short}, --${s.name}${val}` : `      --${s.name}${val}`;
    let desc = s.description ?? '';
    if (s.default !== undefined && s.default !== '' && s.default !== false && s.type !== 'bool') {
      desc += s.type === 'string' ? ` (default "${s.default}")` : ` (default ${s.default})`;
    }
    rows.push([left, desc]);
  }
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([l, d]) => `${l.padEnd(w)}   ${d}`.trimEnd()).join('\n');
}
