// Bind propagation needs the source's own mount to play along, as Docker checks it:
// shared binds need a shared source mount, slave binds a shared or slave one.
import { realpathSync } from 'node:fs';
import { invalidArgument } from '../common/errors.ts';
import { readMountInfo } from '../sys/mountinfo.ts';

/** The mount a host path lives on, and its propagation. */
export function sourceMount(path: string): { mountPoint: string; shared: boolean; slave: boolean } {
  let p: string;
  try {
    p = realpathSync(path);
  } catch {
    p = path;
  }
  let best: { mountPoint: string; optionalFields: string[] } | undefined;
  for (const m of readMountInfo()) {
    const under = m.mountPoint === '/' || p === m.mountPoint || p.startsWith(`${m.mountPoint}/`);
    if (under && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  const f = best?.optionalFields ?? [];
  return {
    mountPoint: best?.mountPoint ?? '/',
    shared: f.some((x) => x.startsWith('shared:')),
    slave: f.some((x) => x.startsWith('master:')),
  };
}

/** Throws Docker's message when `propagation` cannot work from `source`. */
export function checkPropagation(source: string, propagation: string): void {
  if (propagation === 'shared' || propagation === 'rshared') {
    const m = sourceMount(source);
    if (!m.shared) throw invalidArgument(`path ${source} is mounted on ${m.mountPoint} but it is not a shared mount`);
  } else if (propagation === 'slave' || propagation === 'rslave') {
    const m = sourceMount(source);
    if (!m.shared && !m.slave)
      throw invalidArgument(`path ${source} is mounted on ${m.mountPoint} but it is not a shared or slave mount`);
  }
}

/**
 * The container root's propagation a set of binds needs (Docker's rule): shared when one
 * is shared, rslave when one is a slave; undefined leaves the runtime's default.
 */
export function rootfsPropagationFor(propagations: string[]): string | undefined {
  if (propagations.some((p) => p === 'shared' || p === 'rshared')) return 'shared';
  if (propagations.some((p) => p === 'slave' || p === 'rslave')) return 'rslave';
  return undefined;
}
