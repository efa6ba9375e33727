// `changes` for import and commit: Dockerfile instructions that alter only the image
// config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL,
// ONBUILD, HEALTHCHECK). Applied to a copy; the input is never mutated.
import { invalidArgument } from '../common/errors.ts';
import type { RunConfig } from '../oci/image-spec.ts';

const ALLOWED = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'ONBUILD',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** JSON array form when it parses as an array of strings, else the shell form. */
function execOrShell(rest: string, shell: string[]): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      /* not JSON: shell form */
    }
  }
  return [...shell, t];
}

/** Splits `a=b "c d"=e` / `k v` pairs the way ENV and LABEL accept them. */
export function parseKeyValues(rest: string, instr: string): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw invalidArgument(`${instr} requires at least one argument`);
  if (!words[0].includes('=')) {
    // Legacy `ENV key value with spaces`.
    const m = /^\s*(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalidArgument(`${instr} requires at least two arguments`);
    return [[m[1], m[2].trim()]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw invalidArgument(`${instr} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** Word splitting with quotes and backslash escapes (quotes removed). */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) {
        out.push(cur);
        cur = '';
        inWord = false;
      }
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote) throw invalidArgument(`unmatched quote in ${JSON.stringify(s)}`);
  if (inWord) out.push(cur);
  return out;
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => e.split('=')[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}

export function applyChanges(base: RunConfig, changes: readonly string[]): RunConfig {
  const cfg: RunConfig = structuredClone(base);
  const shell = cfg.Shell ?? ['/bin/sh', '-c'];
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instr = m[1].toUpperCase();
    const rest = m[2];
    if (!ALLOWED.has(instr)) throw invalidArgument(`${m[1]} is not a valid change command`);
    switch (instr) {
      case 'CMD':
        cfg.Cmd = execOrShell(rest, shell);
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = execOrShell(rest, shell);
        break;
      case 'ENV':
        for (const [k, v] of parseKeyValues(rest, 'ENV')) cfg.Env = setEnv(cfg.Env ?? [], k, v);
        break;
      case 'LABEL':
        cfg.Labels = { ...cfg.Labels };
        for (const [k, v] of parseKeyValues(rest, 'LABEL')) cfg.Labels[k] = v;
        break;
      case 'EXPOSE':
        cfg.ExposedPorts = { ...cfg.ExposedPorts };
        for (const p of splitWords(rest)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalidArgument(`invalid containerPort: ${p}`);
          cfg.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        break;
      case 'USER':
        cfg.User = rest.trim();
        break;
      case 'WORKDIR':
        cfg.WorkingDir = rest.trim();
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = rest.trim();
        break;
      case 'VOLUME':
        cfg.Volumes = { ...cfg.Volumes };
        for (const v of execOrShell(rest, []).flatMap((x) => splitWords(x))) cfg.Volumes[v] = {};
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest.trim()];
        break;
      case 'HEALTHCHECK': {
        const t = rest.trim();
        if (/^NONE$/i.test(t)) cfg.Healthcheck = { Test: ['NONE'] };
        else {
          const cm = /^CMD\s+(.*)$/is.exec(t);
          if (!cm) throw invalidArgument('HEALTHCHECK requires CMD or NONE');
          const test = execOrShell(cm[1], []);
          cfg.Healthcheck = { Test: cm[1].trim().startsWith('[') ? ['CMD', ...test] : ['CMD-SHELL', cm[1].trim()] };
        }
        break;
      }
    }
  }
  return cfg;
}
