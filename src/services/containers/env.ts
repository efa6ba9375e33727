// The environment a container's process gets, in Docker's order: PATH (unless the config
// sets one), HOSTNAME, TERM for TTYs, then the config's own variables overriding.
import type { ContainerConfig } from '../../containers/types.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `links`: Docker's link variables, which the config's own variables override. */
export function containerEnv(cfg: ContainerConfig, links: string[] = []): string[] {
  const env = new Map<string, string>();
  const put = (kv: string) => {
    const i = kv.indexOf('=');
    env.set(i === -1 ? kv : kv.slice(0, i), kv);
  };
  const user = cfg.Env ?? [];
  if (!user.some((e) => e.startsWith('PATH='))) put(`PATH=${DEFAULT_PATH}`);
  put(`HOSTNAME=${cfg.Hostname ?? ''}`);
  if (cfg.Tty) put('TERM=xterm');
  for (const e of links) put(e);
  for (const e of user) if (e.includes('=')) put(e); // a bare NAME means "unset": keep it out
  return [...env.values()];
}
