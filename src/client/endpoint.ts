// Where the daemon is: the -H / BERTH_HOST / DOCKER_HOST address and its parsed form.

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export type Endpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** -H flag, else BERTH_HOST, else DOCKER_HOST, else the default socket. */
export function resolveHost(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

export function parseHost(host: string): Endpoint {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path) throw new Error(`invalid host: ${host}`);
    return { kind: 'unix', path };
  }
  if (host.startsWith('/')) return { kind: 'unix', path: host };
  let rest = host;
  if (rest.startsWith('tcp://')) rest = rest.slice('tcp://'.length);
  else if (rest.startsWith('http://')) rest = rest.slice('http://'.length);
  else if (/^[a-z]+:\/\//.test(rest)) throw new Error(`unsupported host scheme: ${host}`);
  rest = rest.replace(/\/+$/, '');
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(rest);
  if (!m) throw new Error(`invalid host: ${host}`);
  const h = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
  return { kind: 'tcp', host: h, port: m[2] ? Number(m[2]) : 2375 };
}
