// GET /volumes, GET /volumes/{name}, DELETE /volumes/{name}.
import { invalidArgument } from '../../common/errors.ts';
import { matchLabels } from '../filters.ts';
import type { VolumeInfo } from '../../volumes/volumes.ts';
import type { VolumeDeps } from './deps.ts';
import type { VolumeListResponse } from '../../api/types/volumes.ts';
import { volumeView, type VolumeView } from './views.ts';

const LIST_FILTERS = new Set(['dangling', 'name', 'driver', 'label']);

/** Docker's boolean filter values. */
export function filterBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw invalidArgument(`invalid filter '${key}=${v}'`);
}

/** filters.Args.Match: equal, or the value as an (unanchored) regular expression. */
function matchesName(name: string, wanted: string[]): boolean {
  return wanted.some((w) => {
    if (w === name) return true;
    try {
      return new RegExp(w).test(name);
    } catch {
      return false;
    }
  });
}

export async function listVolumes(deps: VolumeDeps, filters: Map<string, string[]>): Promise<VolumeListResponse> {
  for (const k of filters.keys()) if (!LIST_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const dangling = filters.get('dangling')?.map((v) => filterBool('dangling', v));
  const { volumes, warnings } = await deps.volumes.listAll();
  const keep = (v: VolumeInfo) => {
    const r = v.record;
    if (filters.has('name') && !matchesName(r.name, filters.get('name')!)) return false;
    if (filters.has('driver') && !filters.get('driver')!.includes(r.driver)) return false;
    if (filters.has('label') && !matchLabels(r.labels ?? {}, filters.get('label'))) return false;
    if (dangling && !dangling.every((d) => d === !deps.volumes.isReferenced(r.name))) return false;
    return true;
  };
  return {
    Volumes: volumes
      .filter(keep)
      .sort((a, b) => (a.record.name < b.record.name ? -1 : 1))
      .map((v) => volumeView(v)),
    Warnings: warnings.length ? warnings : null,
  };
}

export async function inspectVolume(deps: VolumeDeps, name: string): Promise<VolumeView> {
  return volumeView(await deps.volumes.describe(deps.volumes.require(name)));
}

export async function removeVolume(deps: VolumeDeps, name: string, opts: { force?: boolean }): Promise<void> {
  const r = await deps.volumes.remove(name, opts);
  if (r) deps.events.publish('volume', 'destroy', r.name, { driver: r.driver });
}
