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
