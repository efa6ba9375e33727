// The shape of a `berth` command module and the context a handler runs in.

import type { FlagSpec, FlagValue } from './flags.ts';
import type { Client } from '../client/index.ts';

export interface Output {
  out(s: string | Buffer): void;
  err(s: string | Buffer): void;
  readonly stdoutIsTTY: boolean;
  /** [rows, cols] of the terminal on stdout, if it is one. */
  ttySize(): [number, number] | undefined;
}

export interface Stdin extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface Ctx {
  /** "berth run" or "berth container run": used in messages. */
  readonly commandPath: string;
  readonly args: string[];
  readonly flags: Record<string, FlagValue>;
  readonly changed: ReadonlySet<string>;
  readonly io: Output;
  readonly stdin: Stdin;
  readonly env: NodeJS.ProcessEnv;
  /** -H/--host as given (undefined: BERTH_HOST, DOCKER_HOST, default). */
  readonly host: string | undefined;
  client(): Promise<Client>;
  /** Register cleanup (signal handlers, raw mode) run before exit. */
  onExit(fn: () => void): void;
}

export interface ArgRule {
  min?: number;
  max?: number;
  exact?: number;
}

export interface Command {
  readonly name: string;
  /** e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]" */
  readonly usage: string;
  readonly short: string;
  readonly flags: readonly FlagSpec[];
  readonly aliases?: string;
  /** false: flags stop at the first positional (run/create/exec). */
  readonly interspersed?: boolean;
  /** Every argument, flags and --help included, goes to the command unparsed (berth compose). */
  readonly passthrough?: boolean;
  readonly args?: ArgRule;
  /** Exit code (0 when void). Errors propagate to the runner. */
  run(ctx: Ctx): Promise<number | undefined>;
}

/** An error with docker's exit status; an empty message prints nothing. */
export class CliError extends Error {
  readonly status: number;
  constructor(message: string, status = 1) {
    super(message);
    this.status = status;
    this.name = 'CliError';
  }
}

export const flagStr = (ctx: Ctx, k: string) => (ctx.flags[k] as string | undefined) ?? '';
export const flagBool = (ctx: Ctx, k: string) => Boolean(ctx.flags[k]);
export const flagList = (ctx: Ctx, k: string) => (ctx.flags[k] as string[] | undefined) ?? [];
export const flagInt = (ctx: Ctx, k: string) => (ctx.flags[k] as number | undefined) ?? 0;

/** docker's `filters` flag values ("k=v") → the API's JSON filter map. */
export function parseFilters(values: readonly string[]): Record<string, Record<string, boolean>> {
  const f: Record<string, Record<string, boolean>> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0)
      throw new CliError(
        `invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)`,
        125,
      );
    const k = v.slice(0, eq).trim().toLowerCase();
    const val = v.slice(eq + 1).trim();
    (f[k] ??= {})[val] = true;
  }
  return f;
}
