// A container's log tag and extra attributes, as dockerd computes them for every driver:
// `tag` is a template over the container's facts (default {{.ID}}), `labels`/`labels-regex`
// and `env`/`env-regex` pick labels and environment variables to attach to each record.
import { invalidArgument } from '../common/errors.ts';
import type { ContainerLogInfo } from './driver.ts';

export const DEFAULT_TAG = '{{.ID}}';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

const FIELDS: Record<string, (i: ContainerLogInfo) => string> = {
  ID: (i) => short(i.id),
  FullID: (i) => i.id,
  Name: (i) => i.name,
  Command: (i) => [i.entrypoint, ...i.args].join(' '),
  ImageID: (i) => short(i.imageId),
  ImageFullID: (i) => i.imageId,
  ImageName: (i) => i.imageName,
  Hostname: (i) => i.hostname,
  DaemonName: () => 'docker',
};

/**
 * The tag: the `tag` option (or `dflt`) with every {{.Field}} replaced. Templates beyond
 * field references (pipes, functions) are refused with a clear error rather than misread.
 */
export function parseLogTag(info: ContainerLogInfo, opts: Record<string, string>, dflt = DEFAULT_TAG): string {
  const tmpl = opts.tag || dflt;
  return tmpl.replace(/\{\{(.*?)\}\}/g, (whole, inner: string) => {
    const m = /^\s*\.(\w+)\s*$/.exec(inner);
    const f = m ? FIELDS[m[1]] : undefined;
    if (!f) {
      if (m) throw invalidArgument(`template: log-tag: can't evaluate field ${m[1]} in type *logger.Info`);
      throw invalidArgument(
        `log tag template ${JSON.stringify(whole)} is not supported by Berth: use field references such as {{.Name}} or {{.ImageName}}`,
      );
    }
    return f(info);
  });
}

/** dockerd's ExtraAttributes: picked labels and env vars; `keyMod` renames keys per driver. */
export function extraAttributes(
  info: ContainerLogInfo,
  opts: Record<string, string>,
  keyMod: (k: string) => string = (k) => k,
): Record<string, string> {
  const extra: Record<string, string> = {};
  const regex = (src: string) => {
    try {
      return new RegExp(src);
    } catch (err) {
      throw invalidArgument(`error parsing regexp: ${(err as Error).message}`);
    }
  };
  if (opts.labels)
    for (const l of opts.labels.split(',')) if (Object.hasOwn(info.labels, l)) extra[keyMod(l)] = info.labels[l];
  if (opts['labels-regex']) {
    const re = regex(opts['labels-regex']);
    for (const [k, v] of Object.entries(info.labels)) if (re.test(k)) extra[keyMod(k)] = v;
  }
  const env = new Map<string, string>();
  for (const e of info.env) {
    const i = e.indexOf('=');
    if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  if (env.size === 0) return extra;
  if (opts.env) for (const k of opts.env.split(',')) if (env.has(k)) extra[keyMod(k)] = env.get(k)!;
  if (opts['env-regex']) {
    const re = regex(opts['env-regex']);
    for (const [k, v] of env) if (re.test(k)) extra[keyMod(k)] = v;
  }
  return extra;
}
