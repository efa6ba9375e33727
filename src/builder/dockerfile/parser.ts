// Logical lines → instructions. Pure: no I/O, no expansion (see words.ts); every error is a
// DockerfileError carrying the line it is about.
import { DockerfileError, splitLines, type LogicalLine } from './lines.ts';
import { splitRaw } from './words.ts';
import { parseMount } from './mounts.ts';
import type { Arg, CommandForm, Dockerfile, From, Instruction, Stage } from './ast.ts';

const INSTRUCTIONS = [
  'FROM',
  'RUN',
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'ARG',
  'LABEL',
  'EXPOSE',
  'COPY',
  'ADD',
  'WORKDIR',
  'USER',
  'VOLUME',
  'SHELL',
  'HEALTHCHECK',
  'STOPSIGNAL',
  'ONBUILD',
  'MAINTAINER',
] as const;

/** Flags each instruction accepts: name → takes a value. */
const FLAGS: Record<string, Record<string, boolean>> = {
  FROM: { platform: true },
  RUN: { mount: true, network: true, security: true },
  COPY: { from: true, chown: true, chmod: true, link: false, parents: false, exclude: true },
  ADD: { chown: true, chmod: true, link: false, checksum: true, 'keep-git-dir': false, exclude: true },
  HEALTHCHECK: { interval: true, timeout: true, 'start-period': true, 'start-interval': true, retries: true },
};

interface Flags {
  values: Map<string, string[]>;
  rest: string;
}

function parseFlags(kind: string, text: string, line: number): Flags {
  const allowed = FLAGS[kind] ?? {};
  const values = new Map<string, string[]>();
  let rest = text.trimStart();
  for (;;) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(=(\S*))?(\s+|$)/.exec(rest);
    if (!m) break;
    const name = m[1];
    if (!(name in allowed)) throw new DockerfileError(line, `unknown flag: ${name}`);
    if (allowed[name] && m[2] === undefined) throw new DockerfileError(line, `missing a value on flag: ${name}`);
    values.set(name, [...(values.get(name) ?? []), m[3] ?? 'true']);
    rest = rest.slice(m[0].length);
  }
  return { values, rest };
}

const one = (f: Flags, k: string) => f.values.get(k)?.at(-1);
const bool = (f: Flags, k: string, line: number) => {
  const v = one(f, k);
  if (v === undefined) return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new DockerfileError(line, `expecting boolean value for flag ${k}, not: ${v}`);
};

/** Levenshtein distance, for "did you mean" on unknown instructions. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Exec form when the text parses as a JSON array of strings, else the shell form. */
export function commandForm(text: string): CommandForm {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { json: true, args: v };
    } catch {
      /* shell form */
    }
  }
  return { json: false, text: t };
}

function keyValues(kind: 'ENV' | 'LABEL', rest: string, escChar: string, line: number): [string, string][] {
  const words = splitRaw(rest, escChar, line);
  if (words.length === 0) throw new DockerfileError(line, `${kind} requires at least one argument`);
  if (!words[0].includes('=')) {
    if (kind === 'LABEL')
      throw new DockerfileError(line, `Syntax error - can't find = in "${words[0]}". Must be of the form: name=value`);
    // The legacy `ENV name value with spaces`.
    const m = /^\s*(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw new DockerfileError(line, 'ENV must have two arguments');
    return [[m[1], m[2].trim()]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i === -1)
      throw new DockerfileError(line, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (i === 0) throw new DockerfileError(line, `${kind} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

function requireArgs(kind: string, rest: string, line: number): void {
  if (rest.trim() === '') throw new DockerfileError(line, `${kind} requires at least one argument`);
}

function parseInstruction(l: LogicalLine, escChar: string, nested = false): Instruction {
  const m = /^\s*(\S+)\s*(.*)$/s.exec(l.text);
  if (!m) throw new DockerfileError(l.start, 'empty instruction');
  const word = m[1];
  const kind = word.toUpperCase();
  const base = { line: l.start, endLine: l.end, original: l.text.trim() };
  if (!(INSTRUCTIONS as readonly string[]).includes(kind)) {
    const near = INSTRUCTIONS.find((k) => editDistance(k, kind) <= 2);
    throw new DockerfileError(
      l.start,
      `unknown instruction: ${word}${near ? ` (did you mean ${near.toLowerCase()}?)` : ''}`,
    );
  }
  const f = parseFlags(kind, m[2], l.start);
  const rest = f.rest;
  switch (kind) {
    case 'FROM': {
      const w = splitRaw(rest, escChar, l.start);
      if (w.length !== 1 && !(w.length === 3 && w[1].toUpperCase() === 'AS')) {
        throw new DockerfileError(l.start, 'FROM requires either one or three arguments');
      }
      if (w.length === 3 && !/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(w[2])) {
        throw new DockerfileError(
          l.start,
          `invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`,
        );
      }
      return { ...base, kind, image: w[0], stageName: w[2]?.toLowerCase(), platform: one(f, 'platform') };
    }
    case 'RUN':
      if (rest.trim() === '' && l.heredocs.length === 0)
        throw new DockerfileError(l.start, 'RUN requires at least one argument');
      // Checked now when no build arg is involved; the executor parses them again expanded.
      for (const m of f.values.get('mount') ?? []) if (!m.includes('$')) parseMount(m, l.start);
      return {
        ...base,
        kind,
        command: commandForm(rest),
        mounts: f.values.get('mount') ?? [],
        network: one(f, 'network'),
        security: one(f, 'security'),
        heredocs: l.heredocs,
      };
    case 'CMD':
    case 'ENTRYPOINT':
      return { ...base, kind, command: commandForm(rest) };
    case 'ENV':
    case 'LABEL':
      return { ...base, kind, pairs: keyValues(kind, rest, escChar, l.start) };
    case 'ARG': {
      const words = splitRaw(rest, escChar, l.start);
      if (words.length === 0) throw new DockerfileError(l.start, 'ARG requires at least one argument');
      return {
        ...base,
        kind,
        args: words.map((w) => {
          const i = w.indexOf('=');
          const name = i === -1 ? w : w.slice(0, i);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
            throw new DockerfileError(l.start, `invalid ARG name: ${JSON.stringify(name)}`);
          return i === -1 ? { name } : { name, value: w.slice(i + 1) };
        }),
      };
    }
    case 'EXPOSE':
      requireArgs(kind, rest, l.start);
      return { ...base, kind, ports: splitRaw(rest, escChar, l.start) };
    case 'COPY':
    case 'ADD': {
      let words: string[];
      const form = commandForm(rest);
      if (form.json) words = form.args;
      else words = splitRaw(rest, escChar, l.start);
      const heredocNames = l.heredocs.length;
      if (words.length < 2 && !(heredocNames > 0 && words.length >= 2)) {
        throw new DockerfileError(
          l.start,
          `${kind} requires at least two arguments, but only ${words.length} provided`,
        );
      }
      return {
        ...base,
        kind,
        sources: words.slice(0, -1),
        dest: words[words.length - 1],
        from: kind === 'COPY' ? one(f, 'from') : undefined,
        chown: one(f, 'chown'),
        chmod: one(f, 'chmod'),
        link: bool(f, 'link', l.start),
        parents: bool(f, 'parents', l.start),
        checksum: one(f, 'checksum'),
        keepGitDir: bool(f, 'keep-git-dir', l.start),
        exclude: f.values.get('exclude') ?? [],
        heredocs: l.heredocs,
      };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      requireArgs(kind, rest, l.start);
      if (kind !== 'MAINTAINER' && splitRaw(rest, escChar, l.start).length !== 1 && kind !== 'WORKDIR') {
        throw new DockerfileError(l.start, `${kind} requires exactly one argument`);
      }
      return { ...base, kind, value: rest.trim() };
    case 'VOLUME': {
      requireArgs(kind, rest, l.start);
      const form = commandForm(rest);
      const paths = form.json ? form.args : splitRaw(rest, escChar, l.start);
      if (paths.some((p) => p.trim() === ''))
        throw new DockerfileError(l.start, 'VOLUME specified can not be an empty string');
      return { ...base, kind, paths };
    }
    case 'SHELL': {
      const form = commandForm(rest);
      if (!form.json) throw new DockerfileError(l.start, 'SHELL requires the arguments to be in JSON form');
      if (form.args.length === 0) throw new DockerfileError(l.start, 'SHELL requires at least one argument');
      return { ...base, kind, shell: form.args };
    }
    case 'HEALTHCHECK': {
      const t = rest.trim();
      if (/^NONE$/i.test(t)) {
        if (f.values.size) throw new DockerfileError(l.start, 'HEALTHCHECK NONE takes no options');
        return { ...base, kind, none: true };
      }
      const cm = /^CMD(\s+(.*))?$/is.exec(t);
      if (!cm?.[2]?.trim()) throw new DockerfileError(l.start, 'HEALTHCHECK requires CMD or NONE');
      const retries = one(f, 'retries');
      if (retries !== undefined && !/^\d+$/.test(retries))
        throw new DockerfileError(l.start, `invalid retries: ${retries}`);
      for (const d of ['interval', 'timeout', 'start-period', 'start-interval']) {
        const v = one(f, d);
        if (v !== undefined && !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v))
          throw new DockerfileError(l.start, `invalid duration for --${d}: ${v}`);
      }
      return {
        ...base,
        kind,
        none: false,
        command: commandForm(cm[2]),
        interval: one(f, 'interval'),
        timeout: one(f, 'timeout'),
        startPeriod: one(f, 'start-period'),
        startInterval: one(f, 'start-interval'),
        retries: retries === undefined ? undefined : Number(retries),
      };
    }
    case 'ONBUILD': {
      if (nested) throw new DockerfileError(l.start, 'ONBUILD can not be nested');
      requireArgs(kind, rest, l.start);
      const trigger = rest.trim();
      const inner = /^(\S+)/.exec(trigger)![1].toUpperCase();
      if (inner === 'ONBUILD')
        throw new DockerfileError(l.start, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (inner === 'FROM' || inner === 'MAINTAINER')
        throw new DockerfileError(l.start, `${inner} isn't allowed as an ONBUILD trigger`);
      const parsed = parseInstruction({ ...l, text: trigger }, escChar, true);
      return { ...base, kind, trigger, parsed };
    }
  }
  throw new DockerfileError(l.start, `unknown instruction: ${word}`);
}

/** Parses Dockerfile text. Throws DockerfileError (with a line) on any problem. */
export function parseDockerfile(source: string): Dockerfile {
  const { directives, lines, warnings } = splitLines(source);
  const metaArgs: Arg[] = [];
  const stages: Stage[] = [];
  const names = new Set<string>();
  for (const l of lines) {
    const ins = parseInstruction(l, directives.escape);
    if (ins.kind === 'FROM') {
      const from = ins as From;
      if (from.stageName) {
        if (names.has(from.stageName)) throw new DockerfileError(l.start, `duplicate stage name "${from.stageName}"`);
        names.add(from.stageName);
      }
      stages.push({ index: stages.length, name: from.stageName, from, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.kind !== 'ARG') throw new DockerfileError(l.start, 'no build stage in current context');
      metaArgs.push(ins);
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  if (stages.length === 0)
    throw new DockerfileError(Math.max(1, lines.at(-1)?.end ?? 1), 'the Dockerfile has no FROM instruction');
  return { directives, metaArgs, stages, warnings };
}
