// Request bodies read the way dockerd's Go decoder (encoding/json, Go 1.22) reads them, so
// a wrong JSON type is a 400 with dockerd's own words:
//   invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64
// A type here describes a Go type: its name as Go prints it, and how a JSON value becomes
// it. As in Go: field names match case-insensitively (an exact match first), unknown
// fields are skipped, null leaves a field unset, the first type error is reported after
// the whole document was read — except a custom decoder's (strslice.StrSlice), which
// stops at once — and numbers into integers are checked on their literal text (1.0, 1e3
// and out-of-range values are refused). Decoded values carry no nulls.
import { invalidArgument } from '../../common/errors.ts';
import { isObject } from '../../common/json.ts';

/** Where a value sits: the innermost struct's Go name and the JSON field path from the top. */
export interface Site {
  readonly struct: string;
  readonly path: readonly string[];
  /** The object or array holding the value, and its key: where a number's literal is found. */
  readonly holder?: object;
  readonly key?: string;
}

const TOP: Site = { struct: '', path: [] };

/** One decode: the first type error seen, and the literal text of numbers. */
export class Decoding {
  private first: string | undefined;
  private readonly literals: WeakMap<object, Map<string, string>>;

  constructor(literals: WeakMap<object, Map<string, string>>) {
    this.literals = literals;
  }

  /** Go's "cannot unmarshal" message for a value of kind `what` where a `type` belongs. */
  static message(what: string, type: string, at: Site): string {
    return at.path.length
      ? `json: cannot unmarshal ${what} into Go struct field ${at.struct}.${at.path.join('.')} of type ${type}`
      : `json: cannot unmarshal ${what} into Go value of type ${type}`;
  }

  /** Records a type error (decoding goes on, as Go's does) and leaves the value unset. */
  mismatch(what: string, type: string, at: Site): undefined {
    this.first ??= Decoding.message(what, type, at);
    return undefined;
  }

  /** The number's literal in the request ("1.0", "1e3", "-0"), or its plain text. */
  literal(v: number, at: Site): string {
    return (at.holder && at.key !== undefined && this.literals.get(at.holder)?.get(at.key)) || String(v);
  }

  get error(): string | undefined {
    return this.first;
  }
}

/** A Go type: `name` as Go prints it in messages; `read` takes a value that is not null. */
export interface GoType<T> {
  readonly name: string;
  read(v: unknown, d: Decoding, at: Site): T | undefined;
  /** Go's zero value: what a null element of a slice or map becomes (a fresh one each call). */
  zero(): T;
}

/** The JSON kind Go names in its messages. */
export function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/** A custom decoder's failure: Go returns it at once, over any type error recorded before. */
class Abort extends Error {}

export function goString<T extends string = string>(name = 'string'): GoType<T> {
  return {
    name,
    zero: () => '' as T,
    read: (v, d, at) => (typeof v === 'string' ? (v as T) : d.mismatch(jsonKind(v), name, at)),
  };
}

export const str = goString();

export const bool: GoType<boolean> = {
  name: 'bool',
  zero: () => false,
  read: (v, d, at) => (typeof v === 'boolean' ? v : d.mismatch(jsonKind(v), 'bool', at)),
};

/** An integer type of `bits` bits; its literal must be an integer in range (strconv.ParseInt/ParseUint). */
function goInteger(name: string, bits: number, unsigned: boolean): GoType<number> {
  const max = unsigned ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = unsigned ? 0n : -(1n << BigInt(bits - 1));
  return {
    name,
    zero: () => 0,
    read(v, d, at) {
      if (typeof v !== 'number') return d.mismatch(jsonKind(v), name, at);
      const lit = d.literal(v, at);
      const ok = (unsigned ? /^\d+$/ : /^-?\d+$/).test(lit) && BigInt(lit) >= min && BigInt(lit) <= max;
      return ok ? v : d.mismatch(`number ${lit}`, name, at);
    },
  };
}

export const int = (name = 'int') => goInteger(name, 64, false);
export const int64 = goInteger('int64', 64, false);
export const uint = (name: string, bits = 64) => goInteger(name, bits, true);

export function slice<T>(elem: GoType<T>, name = `[]${elem.name}`): GoType<T[]> {
  return {
    name,
    zero: () => [],
    read(v, d, at) {
      if (!Array.isArray(v)) return d.mismatch(jsonKind(v), name, at);
      return v.map((x, i) =>
        x === null ? elem.zero() : (elem.read(x, d, { ...at, holder: v, key: String(i) }) ?? elem.zero()),
      );
    },
  };
}

/** A Go array [n]T: extra elements are dropped, missing ones are zero. */
export function array2<T>(elem: GoType<T>): GoType<[T, T]> {
  const name = `[2]${elem.name}`;
  return {
    name,
    zero: () => [elem.zero(), elem.zero()],
    read(v, d, at) {
      if (!Array.isArray(v)) return d.mismatch(jsonKind(v), name, at);
      const get = (i: number) =>
        i < v.length && v[i] !== null
          ? (elem.read(v[i], d, { ...at, holder: v, key: String(i) }) ?? elem.zero())
          : elem.zero();
      return [get(0), get(1)];
    },
  };
}

export function map<T>(value: GoType<T>, name = `map[string]${value.name}`): GoType<Record<string, T>> {
  return {
    name,
    zero: () => ({}),
    read(v, d, at) {
      if (!isObject(v)) return d.mismatch(jsonKind(v), name, at);
      const out: Record<string, T> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === '__proto__') continue; // never a prototype (parseJson drops it already)
        out[k] = x === null ? value.zero() : (value.read(x, d, { ...at, holder: v, key: k }) ?? value.zero());
      }
      return out;
    },
  };
}

/** A Go pointer *T where a null must stay null (the values of map[string]*string). */
export function nullable<T>(t: GoType<T>): GoType<T | null> {
  return { name: t.name, zero: () => null, read: (v, d, at) => t.read(v, d, at) };
}

/** Go's struct{} (the values of nat.PortSet and Config.Volumes): any object, read as {}. */
export const emptyStruct: GoType<Record<string, never>> = {
  name: 'struct {}',
  zero: () => ({}),
  read: (v, d, at) => (isObject(v) ? {} : d.mismatch(jsonKind(v), 'struct {}', at)),
};

/** strslice.StrSlice: a list of strings or one string; anything else stops the decode. */
export const strSlice: GoType<string[]> = {
  name: 'strslice.StrSlice',
  zero: () => [],
  read(v, _d, at) {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || x === null)) return v.map((x) => x ?? '');
    throw new Abort(Decoding.message(jsonKind(v), 'string', at));
  },
};

/** Every field of T, each with its Go type. */
export type Fields<T> = { [K in keyof T]-?: GoType<Exclude<T[K], undefined | null>> };

/**
 * A Go struct named `name` ("container.HostConfig"); embedded structs' fields are listed in
 * it (Go reports them under the outer struct's name).
 */
export function struct<T extends object>(name: string, fields: Fields<T>): GoType<T> {
  const short = name.slice(name.lastIndexOf('.') + 1);
  const entries = Object.entries(fields) as [string, GoType<unknown>][];
  const exact = new Map(entries);
  const folded = new Map<string, [string, GoType<unknown>]>();
  for (const [k, t] of entries) if (!folded.has(k.toLowerCase())) folded.set(k.toLowerCase(), [k, t]);
  return {
    name,
    zero: () => ({}) as T,
    read(v, d, at) {
      if (!isObject(v)) return d.mismatch(jsonKind(v), name, at);
      const out: Record<string, unknown> = {};
      for (const [key, x] of Object.entries(v)) {
        const e = exact.has(key) ? ([key, exact.get(key)!] as const) : folded.get(key.toLowerCase());
        if (!e) continue; // unknown fields are skipped, as Go does
        const [field, type] = e;
        if (x === null) {
          delete out[field];
          continue;
        }
        const got = type.read(x, d, { struct: short, path: [...at.path, field], holder: v, key });
        if (got !== undefined) out[field] = got;
      }
      return out as T;
    },
  };
}

/** Parses JSON keeping the literal text of numbers that JavaScript would change (1.0, 1e3, big integers). */
export function parseJson(
  text: string,
  prefix = 'invalid JSON',
): { value: unknown; literals: WeakMap<object, Map<string, string>> } {
  const literals = new WeakMap<object, Map<string, string>>();
  let value: unknown;
  try {
    value = JSON.parse(text, function (this: object, k: string, v: unknown, ctx?: { source?: string }) {
      if (k === '__proto__' || k === 'constructor') return undefined;
      if (typeof v === 'number' && ctx?.source !== undefined && ctx.source !== String(v)) {
        let m = literals.get(this);
        if (!m) literals.set(this, (m = new Map()));
        m.set(k, ctx.source);
      }
      return v;
    });
  } catch (err) {
    throw invalidArgument(`${prefix}: ${(err as Error).message}`);
  }
  return { value, literals };
}

/**
 * Decodes a parsed document into `type`, or throws dockerd's 400 (its message after
 * `prefix`: "invalid JSON" for request bodies). null is the zero value.
 */
export function decodeValue<T>(type: GoType<T>, parsed: ReturnType<typeof parseJson>, prefix = 'invalid JSON'): T {
  if (parsed.value === null || parsed.value === undefined) return type.zero();
  const d = new Decoding(parsed.literals);
  let out: T | undefined;
  try {
    out = type.read(parsed.value, d, TOP);
  } catch (err) {
    if (err instanceof Abort) throw invalidArgument(`${prefix}: ${err.message}`);
    throw err;
  }
  if (d.error !== undefined) throw invalidArgument(`${prefix}: ${d.error}`);
  return out ?? type.zero();
}

/** JSON text (empty: the zero value) decoded into `type`; errors start with `prefix`. */
export function decodeJson<T>(type: GoType<T>, text: string, prefix = 'invalid JSON'): T {
  if (text.trim() === '') return type.zero();
  return decodeValue(type, parseJson(text, prefix), prefix);
}
