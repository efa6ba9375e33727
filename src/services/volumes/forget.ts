// At a container's removal: its references go, and with `rm -v` (or `--rm`) its anonymous
// volumes too — never named ones, and never one another container still uses (Docker's
// removeMountPoints: a volume in use is an implementation detail, not an error).
import { isKind } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import { mountPointsOf } from '../containers/mount-points.ts';
import type { ContainerVolumeDeps } from './container-deps.ts';

export async function forgetMounts(deps: ContainerVolumeDeps, c: Container, removeAnonymous: boolean): Promise<void> {
  const id = c.record.id;
  const errors: string[] = [];
  for (const mp of mountPointsOf(c.record)) {
    if (mp.Type !== 'volume') continue;
    await deps.volumes.release(mp.Name, id);
    if (!removeAnonymous || mp.Spec.Source) continue; // named: `-v name:/x`, `--mount src=name`
    try {
      const r = await deps.volumes.remove(mp.Name, { background: true });
      if (r) deps.events.publish('volume', 'destroy', r.name, { driver: r.driver });
    } catch (err) {
      if (!isKind(err, 'conflict') && !isKind(err, 'not-found')) errors.push((err as Error).message);
    }
  }
  if (errors.length) deps.log.warn('removing anonymous volumes failed', { container: id, errors });
}
