// Metadata-only instructions: how each changes the image config, and the history
// `created_by` Docker's legacy builder records for it (`/bin/sh -c #(nop)  CMD ["sh"]`).
import type { Instruction, CommandForm, Healthcheck } from '../dockerfile/ast.ts';
import { DockerfileError } from '../dockerfile/lines.ts';
import type { RunConfig } from '../../oci/image-spec.ts';

export type Expand = (word: string) => string;
export type ExpandAll = (text: string) => string[];

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export function shellOf(cfg: RunConfig): string[] {
  return cfg.Shell?.length ? cfg.Shell : DEFAULT_SHELL;
}

/** `/bin/sh -c #(nop)  <what>` with the stage's SHELL, as Docker writes metadata steps. */
export function nop(cfg: RunConfig, what: string, double = true): string {
  return [...shellOf(cfg), `#(nop) ${double ? ' ' : ''}${what}`].join(' ');
}

export function commandArgs(cfg: RunConfig, c: CommandForm): string[] {
  return c.json ? c.args : [...shellOf(cfg), c.text];
}

export function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    m.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  return m;
}

export function setEnv(cfg: RunConfig, key: string, value: string): void {
  const env = (cfg.Env ?? []).filter((e) => e.split('=')[0] !== key);
  env.push(`${key}=${value}`);
  cfg.Env = env;
}

const goQuote = (args: string[]) => `[${args.map((a) => JSON.stringify(a)).join(' ')}]`;
const jsonList = (args: string[]) => JSON.stringify(args);

function durationNs(v: string | undefined, line: number, what: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (!m) throw new DockerfileError(line, `invalid ${what} duration: ${v}`);
  const mult: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  return Math.round(Number(m[1]) * mult[m[2]]);
}

function healthcheck(h: Healthcheck, cfg: RunConfig): Record<string, unknown> {
  if (h.none) return { Test: ['NONE'] };
  const c = h.command!;
  const out: Record<string, unknown> = { Test: c.json ? ['CMD', ...c.args] : ['CMD-SHELL', c.text] };
  const set = (k: string, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('Interval', durationNs(h.interval, h.line, 'interval'));
  set('Timeout', durationNs(h.timeout, h.line, 'timeout'));
  set('StartPeriod', durationNs(h.startPeriod, h.line, 'start period'));
  set('StartInterval', durationNs(h.startInterval, h.line, 'start interval'));
  set('Retries', h.retries);
  void cfg;
  return out;
}

/**
 * Applies a metadata instruction to `cfg` (mutated) and returns its history created_by.
 * WORKDIR returns the resolved path in created_by; the caller creates the directory.
 */
export function applyMeta(ins: Instruction, cfg: RunConfig, expand: Expand, expandAll: ExpandAll): string {
  switch (ins.kind) {
    case 'ENV': {
      const parts: string[] = [];
      for (const [k, raw] of ins.pairs) {
        const v = expand(raw);
        setEnv(cfg, k, v);
        parts.push(`${k}=${v}`);
      }
      return nop(cfg, `ENV ${parts.join(' ')}`);
    }
    case 'LABEL': {
      const parts: string[] = [];
      cfg.Labels = { ...cfg.Labels };
      for (const [rk, raw] of ins.pairs) {
        const k = expand(rk);
        const v = expand(raw);
        cfg.Labels[k] = v;
        parts.push(`${k}=${v}`);
      }
      return nop(cfg, `LABEL ${parts.join(' ')}`);
    }
    case 'CMD':
      cfg.Cmd = commandArgs(cfg, ins.command);
      if (!ins.command.json) cfg.ArgsEscaped = true;
      return nop(cfg, `CMD ${jsonList(cfg.Cmd)}`);
    case 'ENTRYPOINT':
      cfg.Entrypoint = commandArgs(cfg, ins.command);
      // Docker: ENTRYPOINT resets a CMD inherited from the base image.
      cfg.Cmd = undefined;
      return nop(cfg, `ENTRYPOINT ${jsonList(cfg.Entrypoint)}`);
    case 'EXPOSE': {
      const ports = ins.ports.flatMap((p) => expandAll(p)).map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
      cfg.ExposedPorts = { ...cfg.ExposedPorts };
      for (const p of ports) cfg.ExposedPorts[p] = {};
      return nop(cfg, `EXPOSE ${ports.join(' ')}`);
    }
    case 'USER':
      cfg.User = expand(ins.value);
      return nop(cfg, `USER ${cfg.User}`);
    case 'STOPSIGNAL':
      cfg.StopSignal = expand(ins.value);
      return nop(cfg, `STOPSIGNAL ${cfg.StopSignal}`);
    case 'MAINTAINER':
      return nop(cfg, `MAINTAINER ${ins.value}`);
    case 'VOLUME': {
      const paths = ins.paths.map((p) => expand(p)).filter((p) => p !== '');
      if (!paths.length) throw new DockerfileError(ins.line, 'VOLUME specified can not be an empty string');
      cfg.Volumes = { ...cfg.Volumes };
      for (const p of paths) cfg.Volumes[p] = {};
      return nop(cfg, `VOLUME ${goQuote(paths).replace(/"/g, '')}`);
    }
    case 'SHELL':
      cfg.Shell = ins.shell;
      return nop(cfg, `SHELL ${goQuote(ins.shell).replace(/"/g, '')}`);
    case 'HEALTHCHECK':
      cfg.Healthcheck = healthcheck(ins, cfg);
      return nop(cfg, `HEALTHCHECK &{${JSON.stringify(cfg.Healthcheck.Test)}}`);
    case 'ONBUILD':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), ins.trigger];
      return nop(cfg, `ONBUILD ${ins.trigger}`);
    default:
      throw new DockerfileError(ins.line, `${ins.kind} is not a metadata instruction`);
  }
}
