// Go's fmt rules for the value types a template sees (JSON values):
// %v printing (`map[a:b]`, `[a b]`, `<nil>`), Sprint/Sprintln spacing, Sprintf verbs.

/** `undefined` stands for Go's invalid value (a missing map key). */
export type Value = unknown;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** Go type name used in fmt's error strings. */
export function goType(v: Value): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

/** strconv.FormatFloat(f, 'g', prec, 64); prec -1 = shortest. */
export function formatG(x: number, prec: number, upper = false): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const neg = x < 0;
  const a = Math.abs(x);
  const shortest = prec < 0;
  if (prec === 0) prec = 1;
  const e = shortest ? a.toExponential() : a.toExponential(prec - 1);
  const [mant, expS] = e.split('e') as [string, string];
  let digits = mant.replace('.', '').replace(/0+$/, '');
  if (digits === '') digits = '0';
  const exp = Number(expS);
  const nd = digits.length;
  const dp = exp + 1;
  if (shortest) prec = nd;
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    let p = prec;
    if (p > nd) p = nd;
    const frac = digits.slice(1, p).padEnd(p - 1, '0');
    const ae = Math.abs(exp);
    out = `${digits[0]}${frac ? `.${frac}` : ''}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${ae < 10 ? `0${ae}` : ae}`;
  } else {
    if (prec > dp) prec = nd;
    out = fixed(digits, dp, Math.max(prec - dp, 0));
  }
  return neg ? `-${out}` : out;
}

function fixed(digits: string, dp: number, decimals: number): string {
  let intPart: string;
  let frac: string;
  if (dp <= 0) {
    intPart = '0';
    frac = '0'.repeat(-dp) + digits;
  } else if (dp >= digits.length) {
    intPart = digits + '0'.repeat(dp - digits.length);
    frac = '';
  } else {
    intPart = digits.slice(0, dp);
    frac = digits.slice(dp);
  }
  frac = frac.slice(0, decimals).padEnd(decimals, '0');
  return decimals > 0 ? `${intPart}.${frac}` : intPart;
}

function fmtNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  return formatG(n, -1);
}

/** fmt's %v. */
export function formatValue(v: Value, top = true): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, false)).join(' ')}]`;
  if (typeof v === 'function') return '<func>';
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${formatValue(v[k], false)}`).join(' ')}]`;
  }
  return String(v);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: Value[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const isStr = typeof args[i] === 'string';
    if (i > 0 && !isStr && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(args[i], false);
  }
  return out;
}

export function sprintln(args: Value[]): string {
  return `${args.map((a) => formatValue(a, false)).join(' ')}\n`;
}

/** strconv.Quote (close enough: printable runes kept, Go escapes for the rest). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const badVerb = (verb: string, v: Value) =>
  v === null || v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${goType(v)}=${formatValue(v, false)})`;

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

function pad(s: string, sp: Spec, numeric: boolean): string {
  if (sp.width === undefined || s.length >= sp.width) return s;
  if (sp.minus) return s.padEnd(sp.width);
  if (sp.zero && numeric) {
    const sign = /^[+-]/.test(s) ? s[0] : '';
    return sign + s.slice(sign.length).padStart(sp.width - sign.length, '0');
  }
  return s.padStart(sp.width);
}

function fmtInt(n: number, base: number, sp: Spec, upper = false): string {
  let s = BigInt(Math.trunc(n)).toString(base);
  if (upper) s = s.toUpperCase();
  if (sp.plus && n >= 0) s = `+${s}`;
  else if (sp.space && n >= 0) s = ` ${s}`;
  if (sp.sharp && base === 16) s = s.replace(/^(-?)/, upper ? '$10X' : '$10x');
  return s;
}

function fmtOne(verb: string, v: Value, sp: Spec): string {
  switch (verb) {
    case 'v':
      if (typeof v === 'number') return pad(sp.plus && v >= 0 ? `+${fmtNumber(v)}` : fmtNumber(v), sp, true);
      if (sp.sharp && typeof v === 'string') return pad(goQuote(v), sp, false);
      return pad(formatValue(v, false), sp, false);
    case 's': {
      if (typeof v === 'string') return pad(sp.prec !== undefined ? [...v].slice(0, sp.prec).join('') : v, sp, false);
      if (Array.isArray(v))
        return pad(
          `[${v.map((x) => fmtOne('s', x, { minus: false, plus: false, zero: false, space: false, sharp: false })).join(' ')}]`,
          sp,
          false,
        );
      if (isObject(v)) return pad(formatValue(v, false), sp, false);
      return badVerb('s', v);
    }
    case 'q':
      if (typeof v === 'string') return pad(goQuote(v), sp, false);
      if (typeof v === 'number' && Number.isInteger(v)) return pad(`'${String.fromCodePoint(v)}'`, sp, false);
      if (Array.isArray(v))
        return `[${v.map((x) => fmtOne('q', x, { minus: false, plus: false, zero: false, space: false, sharp: false })).join(' ')}]`;
      return badVerb('q', v);
    case 'd':
      if (typeof v === 'number' && Number.isInteger(v)) return pad(fmtInt(v, 10, sp), sp, true);
      if (Array.isArray(v))
        return `[${v.map((x) => fmtOne('d', x, { minus: false, plus: false, zero: false, space: false, sharp: false })).join(' ')}]`;
      return badVerb('d', v);
    case 'b':
    case 'o':
    case 'O':
      if (typeof v === 'number' && Number.isInteger(v))
        return pad((verb === 'O' ? '0o' : '') + fmtInt(v, verb === 'b' ? 2 : 8, sp), sp, true);
      return badVerb(verb, v);
    case 'x':
    case 'X': {
      const upper = verb === 'X';
      if (typeof v === 'number' && Number.isInteger(v)) return pad(fmtInt(v, 16, sp, upper), sp, true);
      if (typeof v === 'string') {
        const h = Buffer.from(v, 'utf8').toString('hex');
        return pad(upper ? h.toUpperCase() : h, sp, false);
      }
      return badVerb(verb, v);
    }
    case 'c':
      if (typeof v === 'number' && Number.isInteger(v)) return pad(String.fromCodePoint(v), sp, false);
      return badVerb('c', v);
    case 't':
      if (typeof v === 'boolean') return pad(v ? 'true' : 'false', sp, false);
      return badVerb('t', v);
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') return badVerb(verb, v);
      let s: string;
      if (verb === 'f' || verb === 'F') s = Math.abs(v).toFixed(sp.prec ?? 6);
      else if (verb === 'e' || verb === 'E') {
        s = Math.abs(v)
          .toExponential(sp.prec ?? 6)
          .replace(/e([+-])(\d)$/, 'e$10$2');
        if (verb === 'E') s = s.toUpperCase();
      } else s = formatG(Math.abs(v), sp.prec ?? -1, verb === 'G');
      if (v < 0 || Object.is(v, -0)) s = `-${s}`;
      else if (sp.plus) s = `+${s}`;
      else if (sp.space) s = ` ${s}`;
      return pad(s, sp, true);
    }
    case 'T':
      return pad(goType(v), sp, false);
  }
  return `%!${verb}(${goType(v)}=${formatValue(v, false)})`;
}

/** fmt.Sprintf for the verbs %v %s %q %d %t %x %X %f %e %g %c %T %%. */
export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const sp: Spec = { minus: false, plus: false, zero: false, space: false, sharp: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') sp.minus = true;
      else if (f === '+') sp.plus = true;
      else if (f === '0') sp.zero = true;
      else if (f === ' ') sp.space = true;
      else if (f === '#') sp.sharp = true;
      else break;
    }
    if (format[i] === '*') {
      const w = args[argi++];
      sp.width = typeof w === 'number' ? w : undefined;
      i++;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        sp.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        const p = args[argi++];
        sp.prec = typeof p === 'number' ? p : 0;
        i++;
      } else {
        const m = /^\d+/.exec(format.slice(i));
        sp.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(verb, args[argi++], sp);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${goType(a)}=${formatValue(a, false)}`))
      .join(', ')})`;
  }
  return out;
}
