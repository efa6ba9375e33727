// POST /volumes/prune: removes unreferenced local volumes (those without mount options:
// pruning a mount reclaims nothing), only anonymous ones unless `all=true` — and always
// all on API < 1.42, as Docker. One prune at a time.
import { compareVersions } from '../../common/api-version.ts';
import { conflict, invalidArgument } from '../../common/errors.ts';
import type { OpContext } from '../../common/context.ts';
import { ANONYMOUS_LABEL } from '../../volumes/names.ts';
import { matchLabels, matchNotLabels } from '../filters.ts';
import type { VolumeDeps } from './deps.ts';
import { filterBool } from './manage.ts';
import { isPlainLocal, volumeSize } from './usage.ts';

const PRUNE_FILTERS = new Set(['label', 'label!', 'all']);
let running = false;

export async function pruneVolumes(
  deps: VolumeDeps,
  ctx: OpContext,
  filters: Map<string, string[]>,
  apiVersion: string,
): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
  for (const k of filters.keys()) if (!PRUNE_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const allValues = filters.get('all') ?? [];
  if (allValues.length > 1)
    throw invalidArgument(`invalid filter 'all=${allValues.join(',')}': only one value is expected`);
  let all = compareVersions(apiVersion, '1.42') < 0;
  if (allValues.length === 1) {
    try {
      all = filterBool('all', allValues[0]) || all;
    } catch {
      throw invalidArgument(
        `invalid filter 'all': strconv.ParseBool: parsing ${JSON.stringify(allValues[0])}: invalid syntax`,
      );
    }
  }
  if (running) throw conflict('a prune operation is already running');
  running = true;
  try {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of deps.volumes.list()) {
      if (ctx.signal.aborted) break; // the client left: stop between volumes, report what went
      if (!isPlainLocal(r) || deps.volumes.isReferenced(r.name)) continue;
      const labels = r.labels ?? {};
      if (!all && !(ANONYMOUS_LABEL in labels)) continue;
      if (!matchLabels(labels, filters.get('label')) || !matchNotLabels(labels, filters.get('label!'))) continue;
      const size = await volumeSize(deps, r.name);
      try {
        // Under the volume's lock: a container that took it meanwhile keeps it (409, skipped).
        const removed = await deps.volumes.remove(r.name);
        if (!removed) continue;
        deps.events.publish('volume', 'destroy', r.name, { driver: r.driver });
      } catch (err) {
        ctx.log.warn('could not remove volume', { volume: r.name, err });
        continue;
      }
      deleted.push(r.name);
      reclaimed += Math.max(0, size);
    }
    deps.events.publish('volume', 'prune', '', { reclaimed: String(reclaimed) });
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  } finally {
    running = false;
  }
}
