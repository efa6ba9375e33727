// Who calls, as authorization names them (the shapes are common/authz-shapes.ts).

import type { Caller } from '../common/authz-shapes.ts';

export type { Answered, Asked, Caller } from '../common/authz-shapes.ts';

/** The one string that identifies a caller as an owner of what it created. */
export function callerKey(c: Caller): string {
  if (c.cn !== undefined) return `cn=${c.cn}`;
  if (c.unix) return `uid=${c.unix.uid}`;
  return 'anonymous';
}

/** For messages and events: "CN=ci", "uid 1000", "anonymous". */
export function describeCaller(c: Caller): string {
  if (c.cn !== undefined) return `CN=${c.cn}`;
  if (c.unix) return `uid ${c.unix.uid} (pid ${c.unix.pid})`;
  return 'anonymous';
}
