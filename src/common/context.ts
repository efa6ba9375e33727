import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';

/** Passed first to every slow operation: cancellation plus a logger with context. */
export interface OpContext {
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export function background(log: Logger = silentLogger): OpContext {
  return { signal: new AbortController().signal, log };
}

const never = new AbortController().signal;

/** The same logger without cancellation: for work that must finish once begun (Go's context.WithoutCancel). */
export function withoutCancel(ctx: OpContext): OpContext {
  return { signal: never, log: ctx.log };
}
