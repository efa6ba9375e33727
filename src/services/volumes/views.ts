// Docker's Volume object (api/types/volume.Volume), field order included.
import type { Volume } from '../../api/types/volumes.ts';
import type { VolumeInfo } from '../../volumes/volumes.ts';

export type VolumeView = Volume;

/** Go writes a map's keys sorted: clients (and their golden files) see them in that order. */
const sorted = (m: Record<string, string> | null) =>
  m === null ? null : Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function volumeView(v: VolumeInfo, usage?: { Size: number; RefCount: number }): VolumeView {
  return {
    ...(v.createdAt ? { CreatedAt: v.createdAt } : {}),
    Driver: v.record.driver,
    Labels: sorted(v.record.labels),
    Mountpoint: v.mountpoint,
    Name: v.record.name,
    Options: sorted(v.record.options),
    Scope: v.scope,
    ...(v.status ? { Status: v.status } : {}),
    ...(usage ? { UsageData: usage } : {}),
  };
}
