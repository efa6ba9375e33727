// One error taxonomy for the whole engine. Domain code throws these; the API maps the
// kind to an HTTP status in exactly one place (api/errors.ts), the CLI to an exit code.

export type ErrorKind =
  | 'invalid-argument' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'method-not-allowed' // 405
  | 'conflict' // 409
  | 'not-modified' // 304
  | 'unavailable' // 503
  | 'not-implemented' // 501
  | 'internal'; // 500

export class BerthError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'BerthError';
  }
}

export const invalidArgument = (msg: string, cause?: unknown) => new BerthError('invalid-argument', msg, { cause });
export const notFound = (msg: string, cause?: unknown) => new BerthError('not-found', msg, { cause });
export const conflict = (msg: string, cause?: unknown) => new BerthError('conflict', msg, { cause });
export const notModified = (msg = '') => new BerthError('not-modified', msg);
export const methodNotAllowed = (msg: string) => new BerthError('method-not-allowed', msg);
export const unavailable = (msg: string, cause?: unknown) => new BerthError('unavailable', msg, { cause });
export const forbidden = (msg: string, cause?: unknown) => new BerthError('forbidden', msg, { cause });
export const unauthorized = (msg: string, cause?: unknown) => new BerthError('unauthorized', msg, { cause });
export const notImplemented = (msg: string) => new BerthError('not-implemented', msg);
export const internal = (msg: string, cause?: unknown) => new BerthError('internal', msg, { cause });

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof BerthError && err.kind === kind;
}

/** The kind of any thrown value: ours carry one, anything else is internal. */
export function kindOf(err: unknown): ErrorKind {
  return err instanceof BerthError ? err.kind : 'internal';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Node's system errors carry a string code (ENOENT, EEXIST…). */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
}

export const isNotExist = (err: unknown) => errnoCode(err) === 'ENOENT';
