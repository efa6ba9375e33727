// berth build --secret id=x[,src=path|,env=VAR][,type=file|env] → the X-Berth-Build-Secrets
// header (base64 JSON {id: base64 value}); buildx's forms. With neither src nor env: the
// environment variable named like the id, else a file of that name.
import { readFileSync } from 'node:fs';
import { CliError } from '../command.ts';

export const SECRETS_HEADER = 'X-Berth-Build-Secrets';

export function parseSecret(
  spec: string,
  env: NodeJS.ProcessEnv,
  read: (p: string) => Buffer = readFileSync,
): [string, Buffer] {
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const i = part.indexOf('=');
    if (i < 0)
      throw new CliError(`invalid secret ${JSON.stringify(spec)}: ${JSON.stringify(part)} is not key=value`, 1);
    const k = part.slice(0, i).trim().toLowerCase();
    if (!['id', 'src', 'source', 'env', 'type'].includes(k))
      throw new CliError(`unexpected key '${k}' in '${part}'`, 1);
    kv.set(k, part.slice(i + 1));
  }
  const id = kv.get('id');
  if (!id) throw new CliError(`invalid secret ${JSON.stringify(spec)}: id= is required`, 1);
  const type = kv.get('type');
  const src = kv.get('src') ?? kv.get('source');
  const name = kv.get('env') ?? (type === 'env' ? (src ?? id) : undefined);
  if (name !== undefined || (src === undefined && type !== 'file' && env[id] !== undefined)) {
    const v = env[name ?? id];
    if (v === undefined) throw new CliError(`secret ${id}: environment variable ${name ?? id} is not set`, 1);
    return [id, Buffer.from(v)];
  }
  const path = src ?? id;
  try {
    return [id, read(path)];
  } catch (err) {
    throw new CliError(
      `secret ${id}: could not read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      1,
    );
  }
}

/** The header's value, or undefined without secrets. */
export function secretsHeader(specs: string[], env: NodeJS.ProcessEnv): string | undefined {
  if (!specs.length) return undefined;
  const obj: Record<string, string> = {};
  for (const s of specs) {
    const [id, value] = parseSecret(s, env);
    obj[id] = value.toString('base64');
  }
  return Buffer.from(JSON.stringify(obj)).toString('base64');
}
