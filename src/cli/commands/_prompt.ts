// command.PromptForConfirmation: "<message> [y/N] ", read one line from stdin.

import type { Ctx } from '../command.ts';

export function confirm(ctx: Ctx, message: string): Promise<boolean> {
  ctx.io.out(`${message} [y/N] `);
  return new Promise((resolve) => {
    let buf = '';
    const stdin = ctx.stdin;
    const done = (answer: boolean) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause();
      resolve(answer);
    };
    const onData = (c: Buffer | string) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(/^\s*y(es)?\s*$/i.test(buf.slice(0, nl)));
    };
    const onEnd = () => done(/^\s*y(es)?\s*$/i.test(buf));
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
