// --sig-proxy: signals the CLI receives go to the container (non-TTY run and attach).
import type { Ctx } from '../command.ts';
import type { Client } from '../../client/index.ts';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export function proxySignals(ctx: Ctx, client: Client, id: string): void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      client.containerKill(id, sig.slice(3)).catch(() => {});
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  ctx.onExit(() => {
    for (const [sig, h] of handlers) process.off(sig, h);
  });
}
