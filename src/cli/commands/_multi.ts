// Docker's pattern for commands over several containers: run each, print the
// name on success, collect "Error response from daemon: …" lines, exit 1.

import { CliError, type Ctx } from '../command.ts';

export const errText = (e: unknown) =>
  (e as Error).name === 'ApiError' ? `Error response from daemon: ${(e as Error).message}` : (e as Error).message;

export async function forEachName(
  ctx: Ctx,
  names: readonly string[],
  op: (name: string) => Promise<void>,
  opts: { parallel?: boolean; print?: (name: string) => string } = {},
): Promise<void> {
  const errs: string[] = [];
  const results =
    opts.parallel === false
      ? []
      : names.map((n) =>
          op(n).then(
            () => undefined,
            (e: unknown) => e,
          ),
        );
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const err =
      opts.parallel === false
        ? await op(name).then(
            () => undefined,
            (e: unknown) => e,
          )
        : await results[i];
    if (err !== undefined) errs.push(errText(err));
    else ctx.io.out(`${opts.print ? opts.print(name) : name}\n`);
  }
  if (errs.length) throw new CliError(errs.join('\n'), 1);
}
