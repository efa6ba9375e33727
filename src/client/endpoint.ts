// Where the daemon is: the -H / BERTH_HOST / DOCKER_HOST address and its parsed form, with
// the TLS settings of a tcp:// daemon (--tls, --tlsverify, DOCKER_TLS_VERIFY …, tls.ts).

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/** TLS to a tcp:// daemon: `verify` checks its certificate against `ca` (and its name). */
export interface ClientTls {
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export type Endpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls?: ClientTls };

/** -H flag, else BERTH_HOST, else DOCKER_HOST, else the default socket. */
export function resolveHost(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

/** The docker CLI's default ports: 2376 with TLS, 2375 without. */
export function parseHost(host: string, tls?: ClientTls): Endpoint {
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
  const port = m[2] ? Number(m[2]) : tls ? 2376 : 2375;
  return tls ? { kind: 'tcp', host: h, port, tls } : { kind: 'tcp', host: h, port };
}
